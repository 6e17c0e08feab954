import type { Calibration } from '../gallery/calibration.js';
import type { Matcher } from '../gallery/matcher.js';
import { decideIdentity, type IdentityOutcome } from '../recognition/decide.js';

export interface IdentifierOptions {
  matcher: Matcher;
  calibration: Calibration;
  /** `matching.targetFpir`. */
  targetFpir: number;
  /** `matching.minMargin`. */
  minMargin: number;
}

/**
 * The open-set decision for one embedding: search the in-memory gallery and compare the best two
 * subjects with the calibrated threshold for the gallery's current size. Runs on the main thread;
 * a search of 10,000 templates takes about half a millisecond (bench/results/match.json).
 */
export class Identifier {
  private thresholdFor = -1;
  private cachedThreshold = 1;

  constructor(private readonly options: IdentifierOptions) {}

  /** Search `matcher` from now on, as after a gallery reload; searches are synchronous, so none sees a mix. */
  replaceMatcher(matcher: Matcher): void {
    this.options.matcher = matcher;
    this.thresholdFor = -1;
  }

  get gallerySize(): number {
    return this.options.matcher.size;
  }

  /** Score threshold at `targetFpir` for the number of templates enrolled now. */
  threshold(): number {
    const templates = Math.max(1, this.options.matcher.size);
    if (templates !== this.thresholdFor) {
      this.cachedThreshold = this.options.calibration.thresholdFor(templates, this.options.targetFpir).threshold;
      this.thresholdFor = templates;
    }
    return this.cachedThreshold;
  }

  identify(embedding: Float32Array): IdentityOutcome {
    const threshold = this.threshold();
    if (this.options.matcher.size === 0) return { decision: 'unknown', best: undefined, second: undefined, margin: undefined, threshold };
    return decideIdentity(this.options.matcher.search(embedding), threshold, this.options.minMargin);
  }
}

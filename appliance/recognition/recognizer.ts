import type { Logger } from '../common/logger.js';
import type { FacegateError } from '../common/errors.js';
import { FacegateError as FacegateErrorClass } from '../common/errors.js';
import { loadCalibration, type Calibration, type ThresholdResult } from '../gallery/calibration.js';
import { Gallery } from '../gallery/store.js';
import { Matcher } from '../gallery/matcher.js';
import { FacePipeline, type PipelineSettings } from '../vision/pipeline.js';

export interface RecognizerSettings {
  stateDir: string;
  pipeline?: PipelineSettings;
  calibrationFile?: string;
  targetFpir?: number;
}

export const DEFAULT_TARGET_FPIR = 0.01;
export const DEFAULT_MIN_MARGIN = 0.05;
export const DEFAULT_LIVENESS_THRESHOLD = 0.5;

/** The embedding model's version string, stored with every template so a model change is detected. */
export function featureModelVersion(pipeline: FacePipeline): string {
  return pipeline.versions.fr_feature;
}

/**
 * The pieces a photo command needs, opened together: the pipeline, the encrypted gallery, the matcher
 * filled from it and the open-set calibration.
 */
export class Recognizer {
  private constructor(
    readonly pipeline: FacePipeline,
    readonly gallery: Gallery,
    readonly matcher: Matcher,
    readonly calibration: Calibration | undefined,
    private readonly targetFpir: number,
    /** Gallery rows that failed to decrypt or verify; their subjects cannot be identified until re-enrolled. */
    readonly rejectedRows: readonly FacegateError[],
  ) {}

  static async open(settings: RecognizerSettings, logger: Logger, options: { needCalibration: boolean }): Promise<Recognizer> {
    const pipeline = await FacePipeline.create(settings.pipeline ?? {}, logger);
    let calibration: Calibration | undefined;
    try {
      calibration = loadCalibration(settings.calibrationFile, { modelVersion: featureModelVersion(pipeline) });
    } catch (error) {
      if (options.needCalibration) {
        await pipeline.close();
        throw error;
      }
      logger.warn({ err: error }, 'calibration unavailable; duplicate checks use no threshold');
    }
    const gallery = Gallery.open({ stateDir: settings.stateDir, logger });
    const loaded = gallery.loadTemplates({ modelVersion: featureModelVersion(pipeline) });
    const matcher = Matcher.fromTemplates(loaded.templates);
    return new Recognizer(pipeline, gallery, matcher, calibration, settings.targetFpir ?? DEFAULT_TARGET_FPIR, loaded.rejected);
  }

  /** Open-set threshold for the gallery as it is now. */
  threshold(): ThresholdResult {
    if (this.calibration === undefined) {
      throw new FacegateErrorClass('CALIBRATION_MISSING', 'no calibration is loaded', {
        hint: 'Run "facegate bench accuracy" to create models/calibration.json.',
      });
    }
    return this.calibration.thresholdFor(Math.max(1, this.matcher.size), this.targetFpir);
  }

  async close(): Promise<void> {
    this.gallery.close();
    await this.pipeline.close();
  }
}

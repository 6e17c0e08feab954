import { errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Frame } from '../camera/types.js';
import type { FrameAnalyser } from '../daemon/frame-loop.js';
import { judgeFrame, type Guidance } from './guidance.js';
import { lowestPairScore, meanTemplate } from './template.js';

export interface CaptureSettings {
  /** Good frames the template is made of. */
  framesRequired: number;
  /** Minimum time between the first and the last of those frames, so they are not one instant. */
  minSpanMs: number;
  /** The capture fails when no template is complete after this long. */
  timeoutMs: number;
  livenessThreshold: number;
  /** Lowest cosine score any two of the frames may have: below it they are taken to show two people. */
  sameFaceThreshold: number;
  /** Minimum time between two analyses, so the capture leaves the vision worker time for the gate. */
  minIntervalMs?: number;
}

/** The frames a capture reads: the daemon passes a LatestFrameTap on its camera. */
export interface CaptureFrames {
  next(timeoutMs: number, signal?: AbortSignal): Promise<Frame | undefined>;
}

export type CaptureOutcome =
  | { kind: 'captured'; template: Float32Array; frames: number; spanMs: number; quality: number; lowestPairScore: number }
  | { kind: 'timed-out' }
  | { kind: 'cancelled' };

export interface CaptureProgress {
  /** Instruction for the newest analysed frame; `starting` before the first. */
  guidance: Guidance | 'starting';
  /** Good frames kept so far, at most `required`. */
  accepted: number;
  required: number;
  framesAnalysed: number;
  elapsedMs: number;
  remainingMs: number;
}

interface GoodFrame {
  embedding: Float32Array;
  atMs: number;
  quality: number;
}

const DEFAULT_MIN_INTERVAL_MS = 100;
/** Maximum wait for one frame before the loop checks the deadline again. */
const FRAME_WAIT_MS = 500;

/**
 * One face capture for enrolment. It analyses the newest camera frames, turns each into one
 * instruction for the worker (see judgeFrame), and keeps the last `framesRequired` good frames.
 * When they span at least `minSpanMs` and every pair scores at least `sameFaceThreshold`, the
 * template is their normalised mean. A good frame that disagrees with the ones kept replaces them
 * all, because nothing shows which of the two faces is the worker's. Frames and embeddings stay in
 * memory and are dropped when the capture ends.
 */
export class CaptureSession {
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly startedAt: number;
  private good: GoodFrame[] = [];
  private accepted = 0;
  private guidance: Guidance | 'starting' = 'starting';
  private analysed = 0;
  private failedAnalyses = 0;
  private running: Promise<CaptureOutcome> | undefined;

  constructor(
    private readonly options: {
      frames: CaptureFrames;
      analyser: FrameAnalyser;
      settings: CaptureSettings;
      logger: Logger;
      now?: () => number;
    },
  ) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** Run the capture until a template is complete, the time is up or cancel() is called. */
  run(): Promise<CaptureOutcome> {
    // The embeddings are dropped at the end; only their count stays for progress().
    this.running ??= this.loop().finally(() => {
      this.good = [];
    });
    return this.running;
  }

  cancel(): void {
    this.abort.abort();
  }

  progress(): CaptureProgress {
    const elapsedMs = Math.round(this.now() - this.startedAt);
    const required = this.options.settings.framesRequired;
    return {
      guidance: this.guidance,
      accepted: this.accepted,
      required,
      framesAnalysed: this.analysed,
      elapsedMs,
      remainingMs: Math.max(0, this.options.settings.timeoutMs - elapsedMs),
    };
  }

  private async loop(): Promise<CaptureOutcome> {
    const { settings, logger } = this.options;
    const deadline = this.startedAt + settings.timeoutMs;
    let lastAnalysisAt = -Infinity;
    while (!this.abort.signal.aborted) {
      const left = deadline - this.now();
      if (left <= 0) {
        logger.info({ framesAnalysed: this.analysed, lastGuidance: this.guidance }, 'enrolment capture timed out');
        return { kind: 'timed-out' };
      }
      const pause = lastAnalysisAt + (settings.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS) - this.now();
      if (pause > 0) await sleep(Math.min(pause, left), this.abort.signal);
      const frame = await this.options.frames.next(Math.min(FRAME_WAIT_MS, Math.max(1, deadline - this.now())), this.abort.signal);
      if (frame === undefined) continue;
      lastAnalysisAt = this.now();
      const template = await this.consider(frame);
      if (template !== undefined) return template;
    }
    return { kind: 'cancelled' };
  }

  private keep(frames: GoodFrame[]): void {
    this.good = frames;
    this.accepted = frames.length;
  }

  /** Analyse one frame; returns the outcome when this frame completes the template. */
  private async consider(frame: Frame): Promise<CaptureOutcome | undefined> {
    const { settings, logger, analyser } = this.options;
    let verdict;
    try {
      // A copy, because the analyser takes over the buffer and the gate's frame loop may hold this frame too.
      const image = { width: frame.width, height: frame.height, data: new Uint8Array(frame.data) };
      verdict = judgeFrame(await analyser.analyse(image, { maxFaces: 1, order: 'largest' }), settings.livenessThreshold);
    } catch (error) {
      this.failedAnalyses += 1;
      // The first failure and then one in 50 reach the log, so a broken worker cannot flood it.
      if (this.failedAnalyses % 50 === 1) logger.warn({ err: error, seq: frame.seq, failedAnalyses: this.failedAnalyses }, `enrolment frame skipped: ${errorMessage(error)}`);
      return undefined;
    }
    if (this.abort.signal.aborted) return undefined;
    this.analysed += 1;
    if (verdict.guidance !== 'good') {
      this.guidance = verdict.guidance;
      logger.debug({ seq: frame.seq, guidance: verdict.guidance }, 'enrolment frame not used');
      return undefined;
    }

    const candidate = {
      embedding: verdict.face.embedding,
      atMs: Number(frame.capturedAtNs / 1_000_000n),
      quality: Math.min(1, verdict.face.quality.sharpness / 1000),
    };
    const agreement = lowestPairScore([...this.good, candidate].map((good) => good.embedding));
    if (agreement < settings.sameFaceThreshold) {
      this.keep([candidate]);
      this.guidance = 'person-changed';
      logger.debug({ seq: frame.seq, lowestPairScore: agreement }, 'enrolment frames show two faces; starting over');
      return undefined;
    }
    this.guidance = 'good';
    // Frames are kept at least this far apart, so the last framesRequired of them span minSpanMs.
    const spacingMs = settings.framesRequired > 1 ? settings.minSpanMs / (settings.framesRequired - 1) : 0;
    const last = this.good.at(-1);
    if (last !== undefined && candidate.atMs - last.atMs < spacingMs) return undefined;
    const kept = [...this.good, candidate].slice(-settings.framesRequired);
    this.keep(kept);
    if (kept.length < settings.framesRequired) return undefined;

    const spanMs = kept.at(-1)!.atMs - kept[0]!.atMs;
    const template = meanTemplate(kept.map((good) => good.embedding));
    const quality = kept.reduce((sum, good) => sum + good.quality, 0) / kept.length;
    const lowest = lowestPairScore(kept.map((good) => good.embedding));
    logger.info({ frames: kept.length, spanMs, framesAnalysed: this.analysed, lowestPairScore: Math.round(lowest * 1000) / 1000 }, 'enrolment capture complete');
    return { kind: 'captured', template, frames: kept.length, spanMs, quality, lowestPairScore: lowest };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

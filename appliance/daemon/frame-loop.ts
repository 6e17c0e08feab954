import { isFacegateError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { CameraSource, Frame } from '../camera/types.js';
import type { GateDecider } from '../decision/decider.js';
import type { Identifier } from '../decision/identifier.js';
import type { FaceObservation, GateDecision } from '../decision/types.js';
import type { LatencyWindow } from '../telemetry/latency-window.js';
import type { AnalyseResult } from '../vision/pipeline.js';
import type { RgbImage } from '../vision/image.js';

/** The part of the vision worker the loop uses. */
export interface FrameAnalyser {
  analyse(image: RgbImage, options: { maxFaces?: number; order?: 'largest' | 'central' }): Promise<AnalyseResult>;
}

export interface FrameLoopOptions {
  camera: CameraSource;
  analyser: FrameAnalyser;
  identifier: Identifier;
  decider: GateDecider;
  latencies: LatencyWindow;
  logger: Logger;
  /** Called for each decision, without waiting; the handler tracks its own work. */
  onDecision(decision: GateDecision, frame: Frame): void;
  /** Called once per analysed frame with the time from frame arrival to the end of the decision step. */
  onAnalysed?(info: { seq: number; faces: number; latencyMs: number }): void;
  /** Called when a finite input (a video file without loop) has ended. */
  onInputEnded?(): void;
  /** Faces analysed per frame, largest first; 1 by default (the person at the gate). */
  maxFaces?: number;
  /** Maximum wait for a frame before expired tracks are closed anyway. */
  idleTickMs?: number;
  /**
   * While this returns true, frames are taken but not analysed, so a kiosk capture has the vision
   * worker to itself. Open tracks expire as they would without frames.
   */
  paused?: () => boolean;
}

/**
 * The main loop: take the newest frame, analyse it in the vision worker, match each face on this
 * thread, and feed the decider. The loop awaits each analysis, so at most one frame is in the
 * worker, and frames that arrive meanwhile are replaced by newer ones (counted as skipped by the
 * camera). A frame that cannot be analysed is logged and skipped; it never ends the loop.
 */
export class FrameLoop {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private analysed = 0;
  private rejected = 0;
  private lastRejectionLogAt = 0;

  constructor(private readonly options: FrameLoopOptions) {}

  /** Frames analysed since the previous call, for the telemetry fps. */
  takeAnalysedCount(): number {
    const count = this.analysed;
    this.analysed = 0;
    return count;
  }

  /** Frames that could not be analysed since start. */
  get rejectedFrames(): number {
    return this.rejected;
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.options.decider.clear();
  }

  private async run(): Promise<void> {
    const { camera, logger } = this.options;
    const idleTickMs = this.options.idleTickMs ?? 500;
    while (!this.abort.signal.aborted) {
      let frame: Frame;
      try {
        frame = await camera.next({ signal: this.abort.signal, timeoutMs: idleTickMs });
      } catch (error) {
        const code = isFacegateError(error) ? error.code : undefined;
        if (code === 'camera.frameTimeout') {
          this.options.decider.expire(nowMs());
          continue;
        }
        if (code === 'camera.ended') {
          logger.warn({ camera: camera.description }, 'camera input ended; no more frames will be analysed');
          this.options.decider.clear();
          this.options.onInputEnded?.();
          return;
        }
        if (code === 'camera.aborted' || code === 'camera.stopped') return;
        logger.error({ err: error }, 'waiting for a camera frame failed');
        await sleep(idleTickMs);
        continue;
      }
      if (this.options.paused?.() === true) {
        this.options.decider.expire(nowMs());
        continue;
      }
      await this.process(frame);
    }
  }

  private async process(frame: Frame): Promise<void> {
    const { analyser, identifier, decider, latencies } = this.options;
    const expected = frame.width * frame.height * 3;
    if (frame.data.length !== expected) {
      this.reject(frame, `frame has ${frame.data.length} bytes, expected ${expected} for ${frame.width}x${frame.height} RGB`);
      return;
    }

    let result: AnalyseResult;
    try {
      result = await analyser.analyse(ownedImage(frame), { maxFaces: this.options.maxFaces ?? 1, order: 'largest' });
    } catch (error) {
      this.reject(frame, `analysis failed: ${errorMessage(error)}`);
      return;
    }
    this.analysed += 1;
    for (const [stage, ms] of Object.entries(result.timings)) latencies.record(stage, ms);

    const matchStarted = performance.now();
    const observations: FaceObservation[] = result.faces.map((face) => ({
      box: face.box,
      qualityOk: face.quality.ok,
      qualityReasons: face.quality.reasons,
      liveness: face.liveness,
      embedding: face.embedding,
      identity: face.embedding === null ? undefined : identifier.identify(face.embedding),
    }));
    if (observations.length > 0) latencies.record('match', performance.now() - matchStarted);

    const decisions = decider.observe(observations, Number(frame.capturedAtNs / 1_000n) / 1000);
    const latencyMs = Number(process.hrtime.bigint() - frame.capturedAtNs) / 1e6;
    latencies.record('frame', latencyMs);
    this.options.onAnalysed?.({ seq: frame.seq, faces: observations.length, latencyMs });
    for (const decision of decisions) this.options.onDecision(decision, frame);
  }

  private reject(frame: Frame, reason: string): void {
    this.rejected += 1;
    // Log the first and then at most one per 10 s, with the count, so a broken source cannot flood the journal.
    const now = Date.now();
    if (this.rejected === 1 || now - this.lastRejectionLogAt >= 10_000) {
      this.lastRejectionLogAt = now;
      this.options.logger.warn({ seq: frame.seq, rejectedFrames: this.rejected }, `frame ${frame.seq} skipped: ${reason}`);
    } else {
      this.options.logger.debug({ seq: frame.seq, rejectedFrames: this.rejected }, `frame ${frame.seq} skipped: ${reason}`);
    }
  }
}

/**
 * Return the frame as an image whose buffer can be moved to the worker. A frame that is a view into
 * a larger pipe chunk is copied, because moving that chunk would take its neighbours with it.
 */
function ownedImage(frame: Frame): RgbImage {
  const data = frame.data;
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  const bytes = whole ? new Uint8Array(data.buffer, 0, data.byteLength) : new Uint8Array(data);
  return { width: frame.width, height: frame.height, data: bytes };
}

function nowMs(): number {
  return Number(process.hrtime.bigint() / 1_000n) / 1000;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

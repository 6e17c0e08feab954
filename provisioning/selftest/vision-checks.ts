import { createCameraSource, type CameraSource, type Frame } from '../../appliance/camera/index.js';
import { isFacegateError } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import type { FacegateConfig } from '../../appliance/config/index.js';
import { pipelineSettingsFrom } from '../../appliance/daemon/hardware.js';
import { VisionWorker } from '../../appliance/vision/client.js';
import type { CheckResult, Note, Operator } from './types.js';

/** Frames analysed for a face and for inference timing, spread over the frames grabbed. */
const ANALYSED_FRAMES = 5;
/** A median per-frame inference above this is reported as a warning. */
const SLOW_INFERENCE_MS = 500;
/** Extra wait for the first frame beyond the camera's own start timeout. */
const FIRST_FRAME_MARGIN_MS = 2_000;

export interface VisionCheckOptions {
  config: FacegateConfig;
  logger: Logger;
  operator: Operator;
  /** Frames to grab from the camera. */
  frames: number;
  skipCamera: boolean;
  skipVision: boolean;
}

interface Capture {
  source: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
  /** Copies of a few frames, held in memory only and zeroed after use. */
  samples: Uint8Array[];
  error: string | undefined;
}

/**
 * Load and warm up the models, grab frames from the camera, look for a face and time the inference.
 * Frames never leave memory: the copies analysed are zeroed when the check ends.
 */
export async function runVisionChecks(options: VisionCheckOptions): Promise<CheckResult[]> {
  const { config, logger } = options;
  const results: CheckResult[] = [];
  let worker: VisionWorker | undefined;

  if (options.skipVision) {
    results.push(skipped('models', 'vision'));
  } else {
    const candidate = new VisionWorker(pipelineSettingsFrom(config), logger.child({ module: 'selftest.vision' }));
    const started = performance.now();
    try {
      await candidate.start();
      worker = candidate;
      const versions = Object.values(candidate.versions).join(', ');
      results.push({ id: 'models', status: 'pass', detail: { key: 'models.ok', params: { count: Object.keys(candidate.versions).length, ms: Math.round(performance.now() - started), versions } } });
    } catch (error) {
      await candidate.stop();
      logger.warn({ err: error }, 'self-test: vision worker did not start');
      results.push({ id: 'models', status: 'fail', fix: { key: 'fix.models' }, error });
    }
  }

  let capture: Capture | undefined;
  try {
    if (options.skipCamera) {
      results.push(skipped('camera', 'camera'), skipped('face', 'camera'));
    } else {
      if (options.operator.interactive) await options.operator.ready({ key: 'do.face' });
      capture = await grabFrames(config, logger, options.frames);
      results.push(cameraResult(config, capture));
    }
    if (worker === undefined) {
      if (!options.skipCamera) results.push({ id: 'face', status: options.skipVision ? 'skip' : 'fail', detail: { key: 'inference.noModels' }, ...(options.skipVision ? {} : { fix: { key: 'fix.models' } }) });
      results.push(options.skipVision ? skipped('inference', 'vision') : { id: 'inference', status: 'fail', detail: { key: 'inference.noModels' }, fix: { key: 'fix.models' } });
    } else {
      results.push(...(await analyse(worker, config, capture)));
    }
  } finally {
    await worker?.stop();
    for (const sample of capture?.samples ?? []) sample.fill(0);
  }
  return results;
}

function skipped(id: CheckResult['id'], section: string): CheckResult {
  return { id, status: 'skip', detail: { key: 'skipped', params: { section } } };
}

async function grabFrames(config: FacegateConfig, logger: Logger, count: number): Promise<Capture> {
  const camera = config.camera;
  const source: CameraSource = createCameraSource(camera, { logger: logger.child({ module: 'selftest.camera' }) });
  let lastFailure: string | undefined;
  const removeListener = source.on('failure', (failure) => {
    lastFailure = [failure.message, failure.stderrTail.at(-1)].filter((part) => part !== undefined && part !== '').join(': ');
  });
  const every = Math.max(1, Math.ceil(count / ANALYSED_FRAMES));
  const samples: Uint8Array[] = [];
  let first: Frame | undefined;
  let last: Frame | undefined;
  let frames = 0;
  let error: string | undefined;

  await source.start();
  try {
    while (frames < count) {
      let frame: Frame;
      try {
        frame = await source.next({ timeoutMs: frames === 0 ? camera.startTimeoutMs + FIRST_FRAME_MARGIN_MS : camera.stallTimeoutMs });
      } catch (caught) {
        // A finite file or folder that ends early still counts the frames it gave.
        if (!(isFacegateError(caught) && caught.code === 'camera.ended')) error = lastFailure ?? (caught instanceof Error ? caught.message : String(caught));
        break;
      }
      if (frames % every === 0 && samples.length < ANALYSED_FRAMES) samples.push(new Uint8Array(frame.data));
      first ??= frame;
      last = frame;
      frames += 1;
    }
  } finally {
    removeListener();
    await source.stop();
  }

  const seconds = first !== undefined && last !== undefined ? Number(last.capturedAtNs - first.capturedAtNs) / 1e9 : 0;
  return {
    source: source.description,
    frames,
    width: first?.width ?? camera.width,
    height: first?.height ?? camera.height,
    fps: frames > 1 && seconds > 0 ? (frames - 1) / seconds : 0,
    samples,
    error: frames === 0 ? (error ?? lastFailure ?? source.stats().lastError ?? undefined) : undefined,
  };
}

function cameraResult(config: FacegateConfig, capture: Capture): CheckResult {
  const camera = config.camera;
  if (capture.frames === 0) {
    const seconds = Math.round((camera.startTimeoutMs + FIRST_FRAME_MARGIN_MS) / 1000);
    return { id: 'camera', status: 'fail', detail: { key: 'camera.noFrames', params: { source: capture.source, seconds, error: capture.error ?? '' } }, fix: cameraFix(config) };
  }
  const params = { source: capture.source, frames: capture.frames, width: capture.width, height: capture.height, fps: capture.fps.toFixed(1), configured: camera.fps };
  if (capture.frames > 1 && capture.fps < camera.fps / 2) return { id: 'camera', status: 'warn', detail: { key: 'camera.slow', params }, fix: { key: 'fix.camera.slow' } };
  return { id: 'camera', status: 'pass', detail: { key: 'camera.ok', params } };
}

function cameraFix(config: FacegateConfig): Note {
  const camera = config.camera;
  switch (camera.type) {
    case 'v4l2':
      return { key: 'fix.camera.v4l2', params: { device: camera.device } };
    case 'rtsp':
    case 'http':
      return { key: 'fix.camera.stream' };
    case 'file':
    case 'folder':
      return { key: 'fix.camera.file', params: { path: camera.path } };
    case 'rpicam':
      return { key: 'fix.camera.rpicam' };
  }
}

/** Run the full pipeline on the sampled frames (or on blank frames without a camera) and report faces and times. */
async function analyse(worker: VisionWorker, config: FacegateConfig, capture: Capture | undefined): Promise<CheckResult[]> {
  const width = capture?.width ?? config.camera.width;
  const height = capture?.height ?? config.camera.height;
  const images = capture !== undefined && capture.samples.length > 0 ? capture.samples : [0, 1, 2].map(() => new Uint8Array(width * height * 3).fill(128));
  const times: number[] = [];
  let found = 0;
  let best = 0;
  for (const data of images) {
    // analyse() transfers the buffer to the worker, so it gets a copy and the sample stays here to be zeroed.
    const result = await worker.analyse({ width, height, data: new Uint8Array(data) });
    times.push(Object.values(result.timings).reduce((sum, ms) => sum + (ms ?? 0), 0));
    if (result.detections.length > 0) found += 1;
    for (const detection of result.detections) best = Math.max(best, detection.score);
  }

  const results: CheckResult[] = [];
  if (capture !== undefined) {
    if (capture.samples.length === 0) results.push({ id: 'face', status: 'fail', detail: { key: 'face.noFrames' }, fix: cameraFix(config) });
    else if (found > 0) results.push({ id: 'face', status: 'pass', detail: { key: 'face.found', params: { found, analysed: images.length, score: best.toFixed(2) } } });
    else results.push({ id: 'face', status: 'fail', detail: { key: 'face.none', params: { analysed: images.length } }, fix: { key: 'fix.face' } });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!);
  const max = Math.round(sorted.at(-1)!);
  if (median > SLOW_INFERENCE_MS) results.push({ id: 'inference', status: 'warn', detail: { key: 'inference.slow', params: { median, limit: SLOW_INFERENCE_MS } }, fix: { key: 'fix.inference' } });
  else results.push({ id: 'inference', status: 'pass', detail: { key: 'inference.ok', params: { median, max, count: times.length } } });
  return results;
}

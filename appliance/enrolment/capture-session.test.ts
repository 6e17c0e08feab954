import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FfmpegCameraSource } from '../camera/ffmpeg.js';
import { silentLogger } from '../common/logger.js';
import { DEFAULT_LIVENESS_THRESHOLD } from '../recognition/recognizer.js';
import { VisionWorker } from '../vision/client.js';
import { CaptureSession, type CaptureOutcome, type CaptureSettings } from './capture-session.js';
import { LatestFrameTap } from './frame-tap.js';
import type { Guidance } from './guidance.js';
import { cosine } from './template.js';
import { emptyScene, faceScene, folderCamera, lfw, spoofPhoto, twoFacesScene, writeScenes } from './testing.js';

// The capture's guidance on real photos shown by a folder camera (ffmpeg), analysed by the daemon's
// vision worker. Each scene is one still that the camera repeats at 10 fps.

const GOOD = lfw('al_sharpton');
const OTHER = lfw('ai_sugiyama');

let dir: string;
let worker: VisionWorker;
const cameras: FfmpegCameraSource[] = [];

const SETTINGS: CaptureSettings = {
  framesRequired: 5,
  minSpanMs: 1_000,
  timeoutMs: 10_000,
  livenessThreshold: DEFAULT_LIVENESS_THRESHOLD,
  // Frames of one still photo score about 1 with each other; the daemon uses the calibrated 1:1 threshold.
  sameFaceThreshold: 0.5,
};

async function startCamera(name: string, scenes: Buffer[]): Promise<FfmpegCameraSource> {
  const folder = path.join(dir, name);
  writeScenes(folder, scenes);
  const camera = folderCamera(folder, silentLogger());
  cameras.push(camera);
  await camera.start();
  return camera;
}

function session(camera: FfmpegCameraSource, settings: Partial<CaptureSettings> = {}): { capture: CaptureSession; done: Promise<CaptureOutcome>; tap: LatestFrameTap } {
  const tap = new LatestFrameTap(camera);
  tap.start();
  const capture = new CaptureSession({ frames: tap, analyser: worker, settings: { ...SETTINGS, ...settings }, logger: silentLogger() });
  const done = capture.run().finally(() => tap.stop());
  return { capture, done, tap };
}

/** Wait until the capture analysed `frames` frames, then return its guidance and cancel it. */
async function guidanceAfter(capture: CaptureSession, frames: number): Promise<Guidance | 'starting'> {
  const deadline = performance.now() + 8_000;
  while (capture.progress().framesAnalysed < frames && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const { guidance } = capture.progress();
  capture.cancel();
  return guidance;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-capture-'));
  worker = new VisionWorker({}, silentLogger());
  await worker.start();
}, 30_000);

afterAll(async () => {
  await Promise.all(cameras.map((camera) => camera.stop()));
  await worker?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('capture guidance on real photos', () => {
  it('names the problem of each scene', async () => {
    const scenes: Array<[Guidance, Promise<Buffer>]> = [
      ['no-face', emptyScene()],
      ['too-far', faceScene(GOOD, { size: 60 })],
      ['too-dark', faceScene(GOOD, { darken: 0.3 })],
      ['hold-still', faceScene(GOOD, { blur: 6 })],
      ['face-camera', faceScene(GOOD, { rotate: 45 })],
      ['several-faces', twoFacesScene(GOOD, OTHER)],
      ['not-live', faceScene(spoofPhoto('attack/4.jpg'))],
    ];
    const results = await Promise.all(
      scenes.map(async ([expected, scene]) => {
        const camera = await startCamera(expected, [await scene]);
        const { capture, done } = session(camera);
        const guidance = await guidanceAfter(capture, 2);
        const outcome = await done;
        return { expected, guidance, outcome: outcome.kind, accepted: capture.progress().accepted };
      }),
    );
    for (const result of results) {
      expect(result.guidance, `scene ${result.expected}`).toBe(result.expected);
      expect(result.outcome, `scene ${result.expected}`).toBe('cancelled');
      expect(result.accepted, `scene ${result.expected}`).toBe(0);
    }
  }, 25_000);

  it('builds a template from good frames', async () => {
    const camera = await startCamera('good', [await faceScene(GOOD)]);
    const { capture, done } = session(camera);
    const outcome = await done;
    expect(outcome.kind).toBe('captured');
    if (outcome.kind !== 'captured') return;
    expect(outcome.frames).toBe(SETTINGS.framesRequired);
    expect(outcome.spanMs).toBeGreaterThanOrEqual(SETTINGS.minSpanMs);
    const norm = Math.hypot(...outcome.template);
    expect(norm).toBeCloseTo(1, 5);
    expect(outcome.lowestPairScore).toBeGreaterThan(0.9);
    expect(capture.progress().guidance).toBe('good');

    // The template stands for the person: it matches another photo of them, not someone else.
    const same = await worker.analyseEncoded(await faceScene(lfw('al_sharpton', '0002.jpg')), 'al_sharpton 0002');
    const other = await worker.analyseEncoded(await faceScene(OTHER), 'ai_sugiyama 0001');
    expect(cosine(outcome.template, same.faces[0]!.embedding!)).toBeGreaterThan(0.5);
    expect(cosine(outcome.template, other.faces[0]!.embedding!)).toBeLessThan(0.3);
  }, 15_000);

  it('starts over when the face changes', async () => {
    // Each person stays 300 ms, far less than the 1 s a template must span.
    const [first, second] = [await faceScene(GOOD), await faceScene(OTHER)];
    const camera = await startCamera('changing', [first, first, first, second, second, second]);
    const { capture, done } = session(camera, { timeoutMs: 2_500 });
    const seen = new Set<string>();
    while (!(await Promise.race([done.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]))) {
      seen.add(capture.progress().guidance);
      expect(capture.progress().accepted).toBeLessThan(SETTINGS.framesRequired);
    }
    expect((await done).kind).toBe('timed-out');
    expect(seen).toContain('person-changed');
  }, 10_000);

  it('times out without a face', async () => {
    const camera = await startCamera('nobody', [await emptyScene()]);
    const started = performance.now();
    const { capture, done } = session(camera, { timeoutMs: 1_500 });
    expect((await done).kind).toBe('timed-out');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(3_000);
    expect(capture.progress().guidance).toBe('no-face');
    expect(capture.progress().remainingMs).toBe(0);
  }, 10_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { FileCameraConfig } from '../config/schema.js';
import type { FfmpegCameraSource } from './ffmpeg.js';
import { createFileSource, fileArgs } from './file.js';
import {
  cameraConfig,
  colourDistance,
  ffmpegChildPids,
  isProcessAlive,
  letterboxedMean,
  makeTestVideo,
  meanRgb,
  recordingLogger,
  TEST_PHOTOS,
  type TimingOverrides,
} from './testing.js';
import type { CameraFailure, CameraState, Frame } from './types.js';

const FRAMES_EACH = 5;
const FPS = 10;

let dir: string;
let video: string;
let videoFrames: number;
let photoMeans: Array<[number, number, number]>;
const sources: FfmpegCameraSource[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'facegate-camera-file-'));
  video = path.join(dir, 'gate.mp4');
  videoFrames = await makeTestVideo(video, { framesEach: FRAMES_EACH, fps: FPS });
  photoMeans = await Promise.all(TEST_PHOTOS.map((photo) => letterboxedMean(photo)));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function fileSource(
  overrides: Record<string, unknown> = {},
  logger = recordingLogger().logger,
  timing: TimingOverrides = {},
): FfmpegCameraSource {
  const config = cameraConfig<FileCameraConfig>({ type: 'file', path: video, fps: FPS, ...overrides }, timing);
  const source = createFileSource(config, { logger });
  sources.push(source);
  return source;
}

function waitForState(source: FfmpegCameraSource, state: CameraState, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`camera did not reach ${state} within ${timeoutMs} ms`)), timeoutMs);
    const off = source.on('state', (change) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('file camera source', () => {
  it('builds real-time arguments', () => {
    const config = cameraConfig<FileCameraConfig>({ type: 'file', path: '/srv/demo.mp4', loop: true, width: 320, height: 240 });
    const args = fileArgs(config);

    expect(args.slice(args.indexOf('-re'), args.indexOf('-i') + 2)).toEqual(['-re', '-stream_loop', '-1', '-i', '/srv/demo.mp4']);
    expect(args).toContain('rawvideo');
    expect(args).toContain('rgb24');
    expect(args[args.indexOf('-s') + 1]).toBe('320x240');
    expect(args[args.length - 1]).toBe('pipe:1');
  });

  it('reads every frame at the requested size', async () => {
    expect(videoFrames).toBe(FRAMES_EACH * TEST_PHOTOS.length);
    const source = fileSource();
    const frames: Frame[] = [];
    source.on('frame', (frame) => frames.push(frame));
    const ended = waitForState(source, 'ended');
    await source.start();
    await ended;

    expect(frames).toHaveLength(videoFrames);
    expect(frames.map((frame) => frame.seq)).toEqual(Array.from({ length: videoFrames }, (_, index) => index + 1));
    for (const frame of frames) {
      expect(frame.width).toBe(640);
      expect(frame.height).toBe(480);
      expect(frame.data.length).toBe(640 * 480 * 3);
    }
    expect(source.stats().framesReceived).toBe(videoFrames);
    expect(source.stats().restarts).toBe(0);
  });

  it('delivers pixels matching the photos', async () => {
    const source = fileSource();
    const means: Array<[number, number, number]> = [];
    source.on('frame', (frame) => means.push(meanRgb(frame.data)));
    const ended = waitForState(source, 'ended');
    await source.start();
    await ended;

    means.forEach((mean, index) => {
      const photo = Math.floor(index / FRAMES_EACH);
      const distances = photoMeans.map((photoMean) => colourDistance(mean, photoMean));
      expect(distances[photo], `frame ${index + 1}`).toBeLessThan(4);
      expect(Math.min(...distances), `frame ${index + 1}`).toBe(distances[photo]);
    });
  });

  it('keeps the last frame after the end', async () => {
    const source = fileSource();
    const ended = waitForState(source, 'ended');
    await source.start();
    await ended;

    expect((await source.next()).seq).toBe(videoFrames);
    await expect(source.next()).rejects.toMatchObject({ code: 'camera.ended' });
  });

  it('loops the file', async () => {
    const source = fileSource({ loop: true });
    const frames: Frame[] = [];
    source.on('frame', (frame) => frames.push(frame));
    await source.start();
    while (frames.length < videoFrames + 3) await source.next({ timeoutMs: 5_000 });

    const firstOfSecondPass = frames[videoFrames]!;
    expect(firstOfSecondPass.seq).toBe(videoFrames + 1);
    expect(colourDistance(meanRgb(firstOfSecondPass.data), photoMeans[0]!)).toBeLessThan(4);
    expect(source.stats().state).toBe('running');
    expect(source.stats().restarts).toBe(0);
    expect(source.stats().fps).toBeGreaterThan(5);
    expect(source.stats().fps).toBeLessThan(15);
  });

  it('gives a slow consumer the newest frame', async () => {
    const source = fileSource({ loop: true });
    const first = source.next({ timeoutMs: 5_000 });
    await source.start();
    expect((await first).seq).toBe(1);

    await sleep(450);
    const newest = source.stats().framesReceived;
    const frame = await source.next();

    expect(frame.seq).toBe(newest);
    const stats = source.stats();
    expect(stats.framesSkipped).toBe(newest - 2);
    expect(stats.framesDelivered).toBe(2);
    expect(stats.framesSkipped).toBeGreaterThanOrEqual(2);
  });

  it('lets a busy subscriber skip frames', async () => {
    const source = fileSource({ loop: true });
    const seen: number[] = [];
    const unsubscribe = source.subscribe(async (frame) => {
      seen.push(frame.seq);
      await sleep(250);
    });
    await source.start();
    await sleep(1_300);
    unsubscribe();

    const stats = source.stats();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeLessThan(stats.framesReceived);
    for (let index = 1; index < seen.length; index += 1) expect(seen[index]!).toBeGreaterThan(seen[index - 1]! + 1);
    expect(stats.framesSkipped).toBeGreaterThan(0);
    expect(stats.framesReceived - stats.framesDelivered - stats.framesSkipped).toBeLessThanOrEqual(1);
  });

  it('restarts a missing file with backoff', async () => {
    const recorder = recordingLogger();
    const missing = path.join(dir, 'missing.mp4');
    const source = fileSource({ path: missing }, recorder.logger, { backoff: { initialMs: 200, maxMs: 800, maxRestartsPerMinute: 60 } });
    const launches: number[] = [];
    const failures: CameraFailure[] = [];
    source.on('state', (change) => {
      if (change.state === 'starting') launches.push(performance.now());
    });
    source.on('failure', (failure) => failures.push(failure));
    await source.start();
    while (launches.length < 5) await sleep(50);

    expect(failures.slice(0, 4).map((failure) => failure.restartInMs)).toEqual([200, 400, 800, 800]);
    const gaps = launches.slice(1).map((at, index) => at - launches[index]!);
    [200, 400, 800, 800].forEach((delay, index) => {
      expect(gaps[index]!, `gap ${index + 1}`).toBeGreaterThanOrEqual(delay);
      expect(gaps[index]!, `gap ${index + 1}`).toBeLessThan(delay + 700);
    });

    const failure = failures[0]!;
    expect(failure.reason).toBe('exit');
    expect(failure.exitCode).not.toBe(0);
    expect(failure.stderrTail.join('\n')).toContain('No such file or directory');

    const errors = recorder.lines.filter((line) => line.level === 50);
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(String(errors[0]!.msg)).toContain('ffmpeg exited');
    expect(String(errors[0]!.msg)).toContain('restarting in 0.2 s');
    expect((errors[0]!.stderr as string[]).join('\n')).toContain(missing);
    expect(source.stats().restarts).toBeGreaterThanOrEqual(4);
    expect(source.stats().lastError).toContain('ffmpeg exited');
  });

  it('reports a corrupt file with ffmpeg output', async () => {
    const corrupt = path.join(dir, 'corrupt.mp4');
    writeFileSync(corrupt, Buffer.from(Array.from({ length: 4096 }, (_, index) => (index * 7919) % 251)));
    const source = fileSource({ path: corrupt });
    const failed = new Promise<CameraFailure>((resolve) => source.on('failure', resolve));
    await source.start();
    const failure = await failed;

    expect(failure.reason).toBe('exit');
    expect(failure.stderrTail.join('\n')).toMatch(/Invalid data found when processing input|moov atom not found/);
  });

  it('leaves no child process after stop', async () => {
    const source = fileSource({ loop: true });
    await source.start();
    await source.next({ timeoutMs: 5_000 });
    const children = ffmpegChildPids();
    expect(children.length).toBeGreaterThan(0);

    await source.stop();

    for (const pid of children) expect(isProcessAlive(pid), `pid ${pid}`).toBe(false);
    expect(source.stats().state).toBe('stopped');
    await expect(source.next()).rejects.toMatchObject({ code: 'camera.stopped' });
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { FileCameraConfig } from '../config/schema.js';
import { ffmpegOutputArgs, type FfmpegCameraSource } from './ffmpeg.js';
import { createFileSource } from './file.js';
import { cameraConfig, ffmpegChildPids, isProcessAlive, recordingLogger, type TimingOverrides } from './testing.js';
import type { CameraFailure } from './types.js';

const run = promisify(execFile);

let dir: string;
const sources: FfmpegCameraSource[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facegate-camera-ffmpeg-'));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function makeFifo(name: string): string {
  const fifo = path.join(dir, name);
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

function fileSource(file: string, timing: TimingOverrides, deps: { ffmpegCommand?: string } = {}): FfmpegCameraSource {
  const config = cameraConfig<FileCameraConfig>({ type: 'file', path: file, fps: 10, width: 320, height: 240 }, timing);
  const source = createFileSource(config, { logger: recordingLogger().logger, ...deps });
  sources.push(source);
  return source;
}

function nextFailure(source: FfmpegCameraSource): Promise<CameraFailure> {
  return new Promise((resolve) => {
    const off = source.on('failure', (failure) => {
      off();
      resolve(failure);
    });
  });
}

describe('ffmpegOutputArgs', () => {
  it('letterboxes to RGB24 on stdout', () => {
    const args = ffmpegOutputArgs({ width: 640, height: 480, fps: 15 });

    expect(args[args.indexOf('-vf') + 1]).toBe(
      'fps=15,scale=640:480:force_original_aspect_ratio=decrease,format=rgb24,pad=640:480:(ow-iw)/2:(oh-ih)/2:color=black',
    );
    expect(args.slice(-7)).toEqual(['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', '640x480', 'pipe:1']);
  });

  it('marks full-range input', () => {
    const args = ffmpegOutputArgs({ width: 640, height: 480, fullRangeInput: true });

    expect(args[args.indexOf('-vf') + 1]).toContain('in_range=full');
    expect(args[args.indexOf('-vf') + 1]).not.toContain('fps=');
  });
});

describe('ffmpeg supervision', () => {
  it('restarts a launch without a first frame', async () => {
    // ffmpeg blocks in open() on a FIFO that nobody writes, so no frame ever arrives.
    const fifo = makeFifo('silent.fifo');
    const source = fileSource(fifo, { startTimeoutMs: 500, backoff: { initialMs: 100, maxMs: 1_000 } });
    const failure = nextFailure(source);
    const startedAt = performance.now();
    await source.start();
    const pidsBefore = ffmpegChildPids();

    const first = await failure;
    const elapsed = performance.now() - startedAt;
    expect(first.reason).toBe('start-timeout');
    expect(first.message).toContain('no first frame within 500 ms');
    expect(elapsed).toBeGreaterThanOrEqual(490);
    expect(elapsed).toBeLessThan(2_000);

    await nextFailure(source);
    expect(source.stats().restarts).toBeGreaterThanOrEqual(1);
    for (const pid of pidsBefore) expect(isProcessAlive(pid), `pid ${pid}`).toBe(false);
  });

  it('restarts a stream that stalls', async () => {
    const fifo = makeFifo('stalling.fifo');
    const { stdout: clip } = await run(
      'ffmpeg',
      ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-frames:v', '5', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', '-'],
      { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
    );
    const source = fileSource(fifo, { stallTimeoutMs: 600, startTimeoutMs: 5_000, backoff: { initialMs: 100, maxMs: 1_000 } });
    const failure = nextFailure(source);
    await source.start();

    // Opening the FIFO for writing completes once ffmpeg has opened it for reading.
    const writer = await open(fifo, 'w');
    try {
      await writer.write(clip);
      const frame = await source.next({ timeoutMs: 5_000 });
      expect(frame.width).toBe(320);
      const lastFrameAt = performance.now();

      const stalled = await failure;
      expect(stalled.reason).toBe('stall');
      expect(stalled.message).toContain('no frame for 600 ms');
      expect(performance.now() - lastFrameAt).toBeGreaterThanOrEqual(500);
    } finally {
      await writer.close();
    }
    expect(source.stats().framesReceived).toBeGreaterThanOrEqual(1);
    expect(source.stats().lastError).toContain('no frame for 600 ms');
  });

  it('reports a missing ffmpeg', async () => {
    const source = fileSource('/dev/null', { backoff: { initialMs: 100, maxMs: 1_000 } }, { ffmpegCommand: path.join(dir, 'no-such-ffmpeg') });
    const failure = nextFailure(source);
    await source.start();

    const reported = await failure;
    expect(reported.reason).toBe('spawn-error');
    expect(reported.message).toContain('no-such-ffmpeg not found');
    expect(reported.message).toContain('install no-such-ffmpeg');
  });

  it('stops during backoff', async () => {
    const source = fileSource(path.join(dir, 'absent.mp4'), { backoff: { initialMs: 5_000, maxMs: 5_000 } });
    const failure = nextFailure(source);
    await source.start();
    await failure;
    expect(source.stats().state).toBe('backoff');

    await source.stop();
    expect(source.stats().state).toBe('stopped');
    expect(source.stats().restarts).toBe(0);
  });
});

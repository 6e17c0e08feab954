import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { RpicamCameraConfig } from '../config/schema.js';
import type { FfmpegCameraSource } from './ffmpeg.js';
import { createRpicamSource, rpicamArgs, rpicamDecoderArgs } from './rpicam.js';
import { cameraConfig, meanRgb, recordingLogger } from './testing.js';
import type { CameraFailure } from './types.js';

let dir: string;
const sources: FfmpegCameraSource[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'facegate-camera-rpicam-'));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Write an executable that replaces rpicam-vid on machines without a CSI camera: it ignores its
 * arguments and writes raw YUV420 frames of a grey picture (full-range Y = 200) to standard output.
 */
function fakeRpicam(name: string, frames: number): string {
  const script = path.join(dir, name);
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'echo "fake rpicam-vid started" >&2',
      `exec ffmpeg -hide_banner -loglevel error -re -f lavfi -i "color=c=0xC8C8C8:size=640x480:rate=10" -frames:v ${frames} -vf "scale=out_range=full" -f rawvideo -pix_fmt yuv420p -`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

describe('rpicamArgs', () => {
  it('streams raw YUV420 to stdout by default', () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', fps: 20 });

    expect(rpicamArgs(config)).toEqual([
      '--timeout', '0', '--nopreview', '--camera', '0', '--codec', 'yuv420',
      '--width', '640', '--height', '480', '--framerate', '20', '--flush', '--output', '-',
    ]);
  });

  it('adds quality and flips for mjpeg', () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', codec: 'mjpeg', hflip: true, vflip: true, cameraIndex: 1, captureWidth: 1296, captureHeight: 972 });
    const args = rpicamArgs(config);

    expect(args).toEqual(expect.arrayContaining(['--codec', 'mjpeg', '--quality', '80', '--hflip', '--vflip']));
    expect(args[args.indexOf('--camera') + 1]).toBe('1');
    expect(args[args.indexOf('--width') + 1]).toBe('1296');
    expect(args.slice(-2)).toEqual(['--output', '-']);
  });
});

describe('rpicamDecoderArgs', () => {
  it('reads full-range raw YUV420 from stdin', () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', captureWidth: 1280, captureHeight: 720 });
    const args = rpicamDecoderArgs(config);

    expect(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2)).toEqual([
      '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-video_size', '1280x720', '-framerate', '15', '-i', 'pipe:0',
    ]);
    expect(args[args.indexOf('-vf') + 1]).toContain('in_range=full');
  });

  it('demuxes MJPEG from stdin', () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', codec: 'mjpeg' });
    const args = rpicamDecoderArgs(config);

    expect(args.slice(args.indexOf('-f'), args.indexOf('-i') + 2)).toEqual(['-f', 'mjpeg', '-i', 'pipe:0']);
  });
});

describe('rpicam camera source', () => {
  it('pipes the capture process into ffmpeg', async () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', fps: 10 });
    const source = createRpicamSource(config, { logger: recordingLogger().logger, rpicamCommand: fakeRpicam('rpicam-ok', 1_000) });
    sources.push(source);
    await source.start();
    const frame = await source.next({ timeoutMs: 10_000 });

    expect(frame.width).toBe(640);
    const [red, green, blue] = meanRgb(frame.data);
    for (const channel of [red, green, blue]) expect(Math.abs(channel - 200)).toBeLessThan(3);
  });

  it('restarts when the capture process exits', async () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam', fps: 10 }, { backoff: { initialMs: 100, maxMs: 200 } });
    const source = createRpicamSource(config, { logger: recordingLogger().logger, rpicamCommand: fakeRpicam('rpicam-short', 3) });
    sources.push(source);
    const failed = new Promise<CameraFailure>((resolve) => source.on('failure', resolve));
    await source.start();
    const failure = await failed;

    expect(failure.reason).toBe('exit');
    expect(failure.stderrTail).toContain('[rpicam-short] fake rpicam-vid started');
    expect(source.stats().framesReceived).toBeGreaterThanOrEqual(1);
  });

  it('reports a missing rpicam-vid', async () => {
    const config = cameraConfig<RpicamCameraConfig>({ type: 'rpicam' }, { backoff: { initialMs: 100, maxMs: 200 } });
    const source = createRpicamSource(config, { logger: recordingLogger().logger, rpicamCommand: path.join(dir, 'rpicam-vid') });
    sources.push(source);
    const failed = new Promise<CameraFailure>((resolve) => source.on('failure', resolve));
    await source.start();
    const failure = await failed;

    expect(failure.reason).toBe('spawn-error');
    expect(failure.message).toContain('install rpicam-apps');
  });
});

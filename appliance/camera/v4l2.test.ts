import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import type { V4l2CameraConfig } from '../config/schema.js';
import type { FfmpegCameraSource } from './ffmpeg.js';
import { cameraConfig, recordingLogger } from './testing.js';
import type { CameraFailure } from './types.js';
import { checkVideoDevice, createV4l2Source, v4l2Args } from './v4l2.js';

const sources: FfmpegCameraSource[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});

describe('v4l2Args', () => {
  it('requests format, size and rate from the device', () => {
    const config = cameraConfig<V4l2CameraConfig>({ type: 'v4l2', device: '/dev/video2', inputFormat: 'yuyv422', fps: 30 });
    const args = v4l2Args(config);
    const input = args.slice(args.indexOf('-f'), args.indexOf('-i') + 2);

    expect(input).toEqual(['-f', 'v4l2', '-input_format', 'yuyv422', '-video_size', '640x480', '-framerate', '30', '-i', '/dev/video2']);
    expect(args[args.indexOf('-s') + 1]).toBe('640x480');
  });

  it('captures at a larger size and scales down', () => {
    const config = cameraConfig<V4l2CameraConfig>({ type: 'v4l2', captureWidth: 1280, captureHeight: 720 });
    const args = v4l2Args(config);

    expect(args[args.indexOf('-video_size') + 1]).toBe('1280x720');
    expect(args[args.indexOf('-s') + 1]).toBe('640x480');
    expect(args[args.indexOf('-input_format') + 1]).toBe('mjpeg');
  });
});

describe('checkVideoDevice', () => {
  it('names a missing device', async () => {
    await expect(checkVideoDevice('/dev/video-facegate-absent')).rejects.toMatchObject({
      code: 'camera.deviceMissing',
      message: 'camera device /dev/video-facegate-absent not found',
    });
  });

  it.skipIf(existsSync('/dev/video0'))('names a missing /dev/video0', async () => {
    await expect(checkVideoDevice('/dev/video0')).rejects.toMatchObject({ code: 'camera.deviceMissing' });
  });

  it('rejects a regular file', async () => {
    await expect(checkVideoDevice('/etc/hostname')).rejects.toMatchObject({ code: 'camera.notADevice' });
  });

  it('accepts a character device', async () => {
    await expect(checkVideoDevice('/dev/null')).resolves.toBeUndefined();
  });
});

describe('v4l2 camera source', () => {
  it('logs a missing device and retries', async () => {
    const recorder = recordingLogger();
    const config = cameraConfig<V4l2CameraConfig>({ type: 'v4l2', device: '/dev/video-facegate-absent' }, { backoff: { initialMs: 100, maxMs: 200 } });
    const source = createV4l2Source(config, { logger: recorder.logger });
    sources.push(source);
    const failures: CameraFailure[] = [];
    source.on('failure', (failure) => failures.push(failure));
    await source.start();
    while (failures.length < 2) await sleep(20);

    expect(failures[0]!.reason).toBe('preflight');
    expect(failures[0]!.message).toContain('camera device /dev/video-facegate-absent not found');
    expect(failures[0]!.message).toContain('v4l2-ctl --list-devices');
    const error = recorder.lines.find((line) => line.level === 50);
    expect(String(error?.msg)).toContain('camera device /dev/video-facegate-absent not found');
    expect(source.stats().restarts).toBeGreaterThanOrEqual(1);
  });
});

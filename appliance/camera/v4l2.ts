import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';

import { FacegateError } from '../common/errors.js';
import type { V4l2CameraConfig } from '../config/schema.js';
import { captureTiming, FFMPEG_COMMAND, FFMPEG_GLOBAL_ARGS, FfmpegCameraSource, ffmpegOutputArgs, type CameraDeps } from './ffmpeg.js';

/** Build the ffmpeg arguments that capture from a V4L2 device and write RGB24 frames to standard output. */
export function v4l2Args(config: V4l2CameraConfig): string[] {
  const captureWidth = config.captureWidth ?? config.width;
  const captureHeight = config.captureHeight ?? config.height;
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-f',
    'v4l2',
    '-input_format',
    config.inputFormat,
    '-video_size',
    `${captureWidth}x${captureHeight}`,
    '-framerate',
    String(config.fps),
    '-i',
    config.device,
    ...ffmpegOutputArgs({ width: config.width, height: config.height }),
  ];
}

/**
 * Check that `device` exists, is a character device and is readable and writable by this process,
 * so a missing or inaccessible camera gets a plain error instead of ffmpeg's.
 */
export async function checkVideoDevice(device: string): Promise<void> {
  let info;
  try {
    info = await stat(device);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FacegateError('camera.deviceMissing', `camera device ${device} not found`, {
        hint: 'check that the camera is plugged in (`ls /dev/video*`, `v4l2-ctl --list-devices`) and that camera.device names it',
        params: { device },
      });
    }
    throw error;
  }
  if (!info.isCharacterDevice()) {
    throw new FacegateError('camera.notADevice', `${device} is not a video device`, {
      hint: 'set camera.device to a /dev/videoN node',
      params: { device },
    });
  }
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch {
    throw new FacegateError('camera.deviceAccess', `no permission to open camera device ${device}`, {
      hint: 'add the facegate user to the video group and allow the device in the systemd unit (DeviceAllow)',
      params: { device },
    });
  }
}

export function createV4l2Source(config: V4l2CameraConfig, deps: CameraDeps): FfmpegCameraSource {
  const command = deps.ffmpegCommand ?? FFMPEG_COMMAND;
  return new FfmpegCameraSource({
    type: 'v4l2',
    description: config.device,
    width: config.width,
    height: config.height,
    timing: captureTiming(config),
    endOfInput: 'restart',
    logger: deps.logger,
    plan: async () => {
      await checkVideoDevice(config.device);
      return { processes: [{ command, args: v4l2Args(config) }] };
    },
  });
}

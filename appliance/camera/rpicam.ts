import type { RpicamCameraConfig } from '../config/schema.js';
import { captureTiming, FFMPEG_COMMAND, FFMPEG_GLOBAL_ARGS, FfmpegCameraSource, ffmpegOutputArgs, type CameraDeps } from './ffmpeg.js';

export const RPICAM_COMMAND = 'rpicam-vid';

// rpicam-vid's default MJPEG quality (50) blurs facial detail; 80 keeps it at a moderate size.
const MJPEG_QUALITY = 80;

/**
 * Build the rpicam-vid arguments: run until stopped, no preview window, frames to standard output.
 *
 * yuv420 is the default codec: rpicam-vid copies the ISP's YUV420 buffers to the pipe, so there is
 * no JPEG encode in rpicam-vid (done in software on a Pi 5, which has no hardware JPEG encoder) and
 * no decode in ffmpeg. The pipe carries 1.5 bytes a pixel, 13.8 MB/s at 640×480 and 30 fps.
 * The buffers are written with their row stride, hence the multiple-of-64 width rule in the schema.
 */
export function rpicamArgs(config: RpicamCameraConfig): string[] {
  const args = [
    '--timeout',
    '0',
    '--nopreview',
    '--camera',
    String(config.cameraIndex),
    '--codec',
    config.codec,
    '--width',
    String(config.captureWidth ?? config.width),
    '--height',
    String(config.captureHeight ?? config.height),
    '--framerate',
    String(config.fps),
    '--flush',
  ];
  if (config.codec === 'mjpeg') args.push('--quality', String(MJPEG_QUALITY));
  if (config.hflip) args.push('--hflip');
  if (config.vflip) args.push('--vflip');
  args.push('--output', '-');
  return args;
}

/** Build the ffmpeg arguments that read rpicam-vid's output from standard input. */
export function rpicamDecoderArgs(config: RpicamCameraConfig): string[] {
  const output = { width: config.width, height: config.height };
  if (config.codec === 'mjpeg') {
    return [...FFMPEG_GLOBAL_ARGS, '-f', 'mjpeg', '-i', 'pipe:0', ...ffmpegOutputArgs(output)];
  }
  const captureWidth = config.captureWidth ?? config.width;
  const captureHeight = config.captureHeight ?? config.height;
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-video_size',
    `${captureWidth}x${captureHeight}`,
    '-framerate',
    String(config.fps),
    '-i',
    'pipe:0',
    // rpicam-vid writes YUV420 in the full-range JPEG colour space for the yuv420 and mjpeg codecs.
    ...ffmpegOutputArgs({ ...output, fullRangeInput: true }),
  ];
}

export function createRpicamSource(
  config: RpicamCameraConfig,
  deps: CameraDeps & { readonly rpicamCommand?: string },
): FfmpegCameraSource {
  const ffmpeg = deps.ffmpegCommand ?? FFMPEG_COMMAND;
  const rpicam = deps.rpicamCommand ?? RPICAM_COMMAND;
  return new FfmpegCameraSource({
    type: 'rpicam',
    description: `rpicam camera ${config.cameraIndex}`,
    width: config.width,
    height: config.height,
    timing: captureTiming(config),
    endOfInput: 'restart',
    logger: deps.logger,
    plan: () =>
      Promise.resolve({
        processes: [
          { command: rpicam, args: rpicamArgs(config) },
          { command: ffmpeg, args: rpicamDecoderArgs(config) },
        ],
      }),
  });
}

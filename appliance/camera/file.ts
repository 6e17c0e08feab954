import type { FileCameraConfig } from '../config/schema.js';
import { captureTiming, FFMPEG_COMMAND, FFMPEG_GLOBAL_ARGS, FfmpegCameraSource, ffmpegOutputArgs, type CameraDeps } from './ffmpeg.js';

/** Build the ffmpeg arguments that play a video file in real time (`-re`), looping it when asked. */
export function fileArgs(config: FileCameraConfig): string[] {
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-re',
    ...(config.loop ? ['-stream_loop', '-1'] : []),
    '-i',
    config.path,
    ...ffmpegOutputArgs({ width: config.width, height: config.height, fps: config.fps }),
  ];
}

/**
 * Create a source that plays a video file. A missing or corrupt file is not checked up front,
 * so ffmpeg's own message reaches the log, and the source restarts with backoff. Without `loop`
 * the source ends when the file does.
 */
export function createFileSource(config: FileCameraConfig, deps: CameraDeps): FfmpegCameraSource {
  const command = deps.ffmpegCommand ?? FFMPEG_COMMAND;
  return new FfmpegCameraSource({
    type: 'file',
    description: config.path,
    width: config.width,
    height: config.height,
    timing: captureTiming(config),
    endOfInput: config.loop ? 'restart' : 'end',
    logger: deps.logger,
    plan: () => Promise.resolve({ processes: [{ command, args: fileArgs(config) }] }),
  });
}

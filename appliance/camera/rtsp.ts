import type { HttpCameraConfig, RtspCameraConfig } from '../config/schema.js';
import { captureTiming, FFMPEG_COMMAND, FFMPEG_GLOBAL_ARGS, FfmpegCameraSource, ffmpegOutputArgs, type CameraDeps } from './ffmpeg.js';
import { credentialRedactor } from './redact.js';

/**
 * Build the ffmpeg arguments for an RTSP stream. RTP is interleaved over the TCP control connection,
 * because UDP loses packets (and whole frames) on busy site networks and does not cross NAT.
 */
export function rtspArgs(config: RtspCameraConfig): string[] {
  // NOTE: no socket timeout option here, because ffmpeg 4.x reads `-timeout` on RTSP as "listen for a
  // connection" and 5.x as an I/O timeout. The stall watchdog covers a silent stream either way.
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-rtsp_transport',
    'tcp',
    '-fflags',
    'nobuffer',
    '-i',
    config.url,
    ...ffmpegOutputArgs({ width: config.width, height: config.height, fps: config.fps }),
  ];
}

/** Build the ffmpeg arguments for an HTTP MJPEG stream (multipart/x-mixed-replace); ffmpeg detects the format. */
export function httpArgs(config: HttpCameraConfig): string[] {
  return [
    ...FFMPEG_GLOBAL_ARGS,
    '-fflags',
    'nobuffer',
    '-i',
    config.url,
    ...ffmpegOutputArgs({ width: config.width, height: config.height, fps: config.fps }),
  ];
}

export function createRtspSource(config: RtspCameraConfig, deps: CameraDeps): FfmpegCameraSource {
  return createStreamSource(config, rtspArgs(config), deps);
}

export function createHttpSource(config: HttpCameraConfig, deps: CameraDeps): FfmpegCameraSource {
  return createStreamSource(config, httpArgs(config), deps);
}

function createStreamSource(config: RtspCameraConfig | HttpCameraConfig, args: string[], deps: CameraDeps): FfmpegCameraSource {
  const redact = credentialRedactor(config.url);
  const command = deps.ffmpegCommand ?? FFMPEG_COMMAND;
  return new FfmpegCameraSource({
    type: config.type,
    description: redact(config.url),
    width: config.width,
    height: config.height,
    timing: captureTiming(config),
    endOfInput: 'restart',
    redact,
    logger: deps.logger,
    plan: () => Promise.resolve({ processes: [{ command, args }] }),
  });
}

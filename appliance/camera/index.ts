import type { CameraConfig } from '../config/schema.js';
import type { CameraDeps } from './ffmpeg.js';
import { createFileSource } from './file.js';
import { createFolderSource } from './folder.js';
import { createRpicamSource } from './rpicam.js';
import { createHttpSource, createRtspSource } from './rtsp.js';
import type { CameraSource } from './types.js';
import { createV4l2Source } from './v4l2.js';

export type { CameraDeps } from './ffmpeg.js';
export { FfmpegCameraSource } from './ffmpeg.js';
export type * from './types.js';
export { CAMERA_TYPES } from './types.js';

/** Create the camera source for the configured `camera.type`; call `start()` on it to begin capturing. */
export function createCameraSource(config: CameraConfig, deps: CameraDeps & { readonly rpicamCommand?: string }): CameraSource {
  switch (config.type) {
    case 'v4l2':
      return createV4l2Source(config, deps);
    case 'rtsp':
      return createRtspSource(config, deps);
    case 'http':
      return createHttpSource(config, deps);
    case 'file':
      return createFileSource(config, deps);
    case 'folder':
      return createFolderSource(config, deps);
    case 'rpicam':
      return createRpicamSource(config, deps);
  }
}

import fs from 'node:fs';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import type { Logger } from '../common/logger.js';
import { testDataDir } from '../common/paths.js';
import { createFolderSource } from '../camera/folder.js';
import type { FfmpegCameraSource } from '../camera/ffmpeg.js';
import { cameraConfig } from '../camera/testing.js';
import type { FolderCameraConfig } from '../config/schema.js';

// Helpers for the tests that feed the enrolment capture from a folder camera showing scenes built
// from the shared face photos. Every scene is written to a temporary folder, never next to the photos.

export const SCENE_WIDTH = 640;
export const SCENE_HEIGHT = 480;
const BACKGROUND = { r: 128, g: 128, b: 128 };

/** Return the path of an LFW photo in the shared test data. */
export function lfw(folder: string, file = '0001.jpg'): string {
  return path.join(testDataDir(), 'faces', 'lfw', folder, file);
}

/** Return the path of a spoof sample in the shared test data. */
export function spoofPhoto(relative: string): string {
  return path.join(testDataDir(), 'spoof', relative);
}

export interface SceneOptions {
  /** Side of the square head shot on the canvas; the frame height (the worker close to the camera) by default. */
  size?: number;
  /** Multiply every pixel by this factor, as in a badly lit room. */
  darken?: number;
  /** Gaussian blur sigma, as a face moving during the exposure. */
  blur?: number;
  /** Degrees the head is tilted (roll). */
  rotate?: number;
}

/**
 * Render a camera scene as PNG bytes: a head shot centred on a grey 640x480 canvas. The canvas matters
 * because the liveness model looks at 2.7 times the face box, and a photo cut tight to its edges
 * shows it hard borders instead of a scene.
 */
export async function faceScene(photo: string, options: SceneOptions = {}): Promise<Buffer> {
  const size = options.size ?? SCENE_HEIGHT;
  let head = await sharp(photo).rotate().resize(size, size, { fit: 'cover' }).png().toBuffer();
  if (options.rotate !== undefined) {
    head = await sharp(head).rotate(options.rotate, { background: BACKGROUND }).resize(size, size, { fit: 'contain', background: BACKGROUND }).png().toBuffer();
  }
  if (options.darken !== undefined) head = await sharp(head).linear(options.darken, 0).png().toBuffer();
  if (options.blur !== undefined) head = await sharp(head).blur(options.blur).png().toBuffer();
  return canvas([{ input: head, gravity: 'centre' }]);
}

/** Render two head shots side by side, as two people in front of the camera. */
export async function twoFacesScene(left: string, right: string): Promise<Buffer> {
  const side = 300;
  const top = Math.round((SCENE_HEIGHT - side) / 2);
  const heads = await Promise.all([left, right].map((photo) => sharp(photo).rotate().resize(side, side, { fit: 'cover' }).png().toBuffer()));
  return canvas([
    { input: heads[0]!, left: 10, top },
    { input: heads[1]!, left: SCENE_WIDTH - side - 10, top },
  ]);
}

/** Render the empty scene, with no person in front of the camera. */
export function emptyScene(): Promise<Buffer> {
  return canvas([]);
}

function canvas(layers: OverlayOptions[]): Promise<Buffer> {
  return sharp({ create: { width: SCENE_WIDTH, height: SCENE_HEIGHT, channels: 3, background: BACKGROUND } })
    .composite(layers)
    .removeAlpha()
    .png()
    .toBuffer();
}

/** Replace the PNG files of `folder` with `scenes`, shown in this order. */
export function writeScenes(folder: string, scenes: readonly Buffer[]): void {
  fs.mkdirSync(folder, { recursive: true });
  for (const name of fs.readdirSync(folder)) fs.rmSync(path.join(folder, name));
  scenes.forEach((scene, index) => fs.writeFileSync(path.join(folder, `${String(index).padStart(3, '0')}.png`), scene));
}

/** Create a looping folder camera at `fps`; it lists the folder again at each start. */
export function folderCamera(folder: string, logger: Logger, fps = 10): FfmpegCameraSource {
  const config = cameraConfig<FolderCameraConfig>({ type: 'folder', path: folder, fps, loop: true, width: SCENE_WIDTH, height: SCENE_HEIGHT });
  return createFolderSource(config, { logger });
}

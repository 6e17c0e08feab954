import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { FacegateError, errorMessage } from '../common/errors.js';
import type { RgbImage } from './image.js';

const SUPPORTED_FORMATS = new Set(['jpeg', 'png']);

/** Larger inputs are rejected before decoding, so one hostile file cannot exhaust the device's memory. */
export const MAX_INPUT_PIXELS = 50_000_000;

/**
 * Decode a JPEG or PNG into 8-bit RGB with its EXIF orientation applied. Grey, palette, 16-bit and
 * alpha images are converted; anything else, and any truncated or corrupt file, raises a FacegateError
 * naming `label` (usually the file path).
 */
export async function decodeImage(bytes: Uint8Array, label = 'image'): Promise<RgbImage> {
  if (bytes.length === 0) {
    throw new FacegateError('image.empty', `${label} is empty (0 bytes)`, {
      hint: 'Check that the file was copied completely.',
      params: { file: label },
    });
  }

  let format: string | undefined;
  try {
    format = (await sharp(bytes).metadata()).format;
  } catch (error) {
    throw new FacegateError('image.unreadable', `${label} is not a readable image: ${errorMessage(error)}`, {
      hint: 'Use a JPEG or PNG photo.',
      params: { file: label },
      cause: error,
    });
  }
  if (format === undefined || !SUPPORTED_FORMATS.has(format)) {
    throw new FacegateError('image.unsupported', `${label} is ${format ?? 'an unknown format'}, not JPEG or PNG`, {
      hint: 'Convert the photo to JPEG or PNG.',
      params: { file: label, format: format ?? 'unknown' },
    });
  }

  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS })
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new Error(`decoder returned ${info.channels} channels, expected 3`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    const message = errorMessage(error);
    const tooLarge = /pixel limit/i.test(message);
    throw new FacegateError(
      tooLarge ? 'image.too-large' : 'image.corrupt',
      tooLarge
        ? `${label} has more than ${MAX_INPUT_PIXELS} pixels`
        : `${label} is truncated or corrupt: ${message}`,
      {
        hint: tooLarge ? 'Resize the photo below 50 megapixels.' : 'Take or copy the photo again.',
        params: { file: label },
        cause: error,
      },
    );
  }
}

export async function decodeImageFile(file: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new FacegateError('image.missing', `cannot read ${file}: ${errorMessage(error)}`, {
      hint: 'Check the path and the file permissions.',
      params: { file },
      cause: error,
    });
  }
  return decodeImage(bytes, file);
}

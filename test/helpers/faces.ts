import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import sharp from 'sharp';

import { testDataDir } from '../../appliance/common/paths.js';

// Helpers for the tests that run the vision pipeline on the shared test photos. Photos are only read
// from the test data folder, and every derived image goes to a temporary directory.

export function lfwDir(): string {
  return path.join(testDataDir(), 'faces', 'lfw');
}

export function spoofDir(): string {
  return path.join(testDataDir(), 'spoof');
}

/** Return every LFW person (folder name), sorted by name. */
export function lfwPeople(): string[] {
  const root = lfwDir();
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Return the absolute paths of one person's photos, sorted by file name. */
export function lfwPhotos(person: string): string[] {
  const folder = path.join(lfwDir(), person);
  return fs
    .readdirSync(folder)
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .map((name) => path.join(folder, name));
}

/** Return the path of a person's `index`-th photo (0-based, in file name order). Throws when the person has fewer. */
export function lfwPhoto(person: string, index = 0): string {
  const photos = lfwPhotos(person);
  const photo = photos[index];
  if (photo === undefined) throw new Error(`LFW person ${person} has ${photos.length} photos, no photo number ${index}`);
  return photo;
}

/**
 * Pick `count` LFW people deterministically. They are taken in name order from those with at least
 * `minPhotos` photos, after skipping the first `skip` of them, so two calls can pick disjoint groups.
 */
export function pickLfwPeople(count: number, options: { minPhotos?: number; skip?: number } = {}): string[] {
  const minPhotos = options.minPhotos ?? 1;
  const eligible = lfwPeople().filter((person) => lfwPhotos(person).length >= minPhotos);
  const picked = eligible.slice(options.skip ?? 0, (options.skip ?? 0) + count);
  if (picked.length < count) throw new Error(`only ${picked.length} LFW people with ${minPhotos}+ photos remain, expected ${count}`);
  return picked;
}

export interface SpoofSample {
  file: string;
  label: 'real' | 'attack';
  /** `live`, `print` or `replay`. */
  attackType: string;
}

/** Read the spoof samples listed in `spoof/labels.csv`, with absolute paths. */
export function spoofSamples(): SpoofSample[] {
  const text = fs.readFileSync(path.join(spoofDir(), 'labels.csv'), 'utf8');
  const [header, ...rows] = text.trim().split('\n');
  const columns = header!.split(',');
  const fileColumn = columns.indexOf('file');
  const labelColumn = columns.indexOf('label');
  const typeColumn = columns.indexOf('attack_type');
  return rows.map((row) => {
    const cells = row.split(',');
    const label = cells[labelColumn];
    if (label !== 'real' && label !== 'attack') throw new Error(`labels.csv row "${row}" has label ${label}, expected real or attack`);
    return { file: path.join(spoofDir(), cells[fileColumn]!), label, attackType: cells[typeColumn]! };
  });
}

/** Create a fresh temporary directory. Remove it with `fs.rmSync(dir, { recursive: true, force: true })`. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `facegate-${prefix}-`));
}

/** Write `bytes` to `dir/name` and return the path. */
export function writeTempFile(dir: string, name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

export interface CanvasPlacement {
  width: number;
  height: number;
  /** Top-left corner of the photo on the canvas. The photo is centred when these are left out. */
  left?: number;
  top?: number;
  /** Photo size on the canvas. The photo keeps its own size when these are left out. */
  photoWidth?: number;
  photoHeight?: number;
  /** Canvas colour, mid grey by default. */
  background?: string;
}

/** Put a photo (resized if asked) on a plain canvas and return the result as PNG bytes. */
export async function placeOnCanvas(photo: string | Buffer, placement: CanvasPlacement): Promise<Buffer> {
  let image = sharp(photo);
  if (placement.photoWidth !== undefined || placement.photoHeight !== undefined) {
    image = image.resize(placement.photoWidth, placement.photoHeight, { fit: 'fill' });
  }
  const { data, info } = await image.png().toBuffer({ resolveWithObject: true });
  const left = placement.left ?? Math.round((placement.width - info.width) / 2);
  const top = placement.top ?? Math.round((placement.height - info.height) / 2);
  return sharp({ create: { width: placement.width, height: placement.height, channels: 3, background: placement.background ?? '#808080' } })
    .composite([{ input: data, left, top }])
    .png()
    .toBuffer();
}

/** Place several photos side by side, left to right on one row, on a canvas just large enough. */
export async function sideBySide(photos: readonly string[], gap = 0): Promise<Buffer> {
  const parts = await Promise.all(photos.map((photo) => sharp(photo).png().toBuffer({ resolveWithObject: true })));
  const width = parts.reduce((sum, part) => sum + part.info.width, 0) + gap * (parts.length - 1);
  const height = Math.max(...parts.map((part) => part.info.height));
  let left = 0;
  const layers = parts.map((part) => {
    const layer = { input: part.data, left, top: 0 };
    left += part.info.width + gap;
    return layer;
  });
  return sharp({ create: { width, height, channels: 3, background: '#808080' } }).composite(layers).png().toBuffer();
}

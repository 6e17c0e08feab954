import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { lfwPhoto, makeTempDir, spoofSamples, writeTempFile } from '../../test/helpers/faces.js';
import { MAX_INPUT_PIXELS, decodeImage, decodeImageFile } from './decode.js';
import type { RgbImage } from './image.js';

/** Await `promise` and return the FacegateError it rejects with. Fails when it resolves or rejects with anything else. */
async function rejection(promise: Promise<unknown>, code: string): Promise<FacegateError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (!(outcome instanceof FacegateError)) throw new Error(`expected FacegateError ${code}, got ${String(outcome)}`);
  expect(outcome.code).toBe(code);
  return outcome;
}

// A reference image whose four quadrants have four different colours, so each of the eight EXIF
// orientations (the symmetries of a rectangle) produces a different stored image.
const REF_WIDTH = 48;
const REF_HEIGHT = 32;
const QUADRANT_COLOURS = {
  topLeft: [220, 40, 40],
  topRight: [40, 200, 40],
  bottomLeft: [40, 40, 220],
  bottomRight: [235, 235, 235],
} as const;

function referenceColour(x: number, y: number): readonly number[] {
  const top = y < REF_HEIGHT / 2;
  const left = x < REF_WIDTH / 2;
  if (top) return left ? QUADRANT_COLOURS.topLeft : QUADRANT_COLOURS.topRight;
  return left ? QUADRANT_COLOURS.bottomLeft : QUADRANT_COLOURS.bottomRight;
}

/**
 * Return where a displayed pixel (x, y) of the reference is stored in a file with EXIF orientation `n`.
 * Orientations 5 to 8 store the image with width and height swapped.
 */
function storedPosition(n: number, x: number, y: number): [number, number] {
  const W = REF_WIDTH;
  const H = REF_HEIGHT;
  switch (n) {
    case 1: return [x, y];
    case 2: return [W - 1 - x, y]; // mirrored left to right
    case 3: return [W - 1 - x, H - 1 - y]; // upside down
    case 4: return [x, H - 1 - y]; // mirrored top to bottom
    case 5: return [y, x]; // transposed
    case 6: return [y, W - 1 - x]; // needs a 90 degree clockwise turn
    case 7: return [H - 1 - y, W - 1 - x]; // transversed
    case 8: return [H - 1 - y, x]; // needs a 90 degree anticlockwise turn
    default: throw new RangeError(`EXIF orientation ${n} does not exist`);
  }
}

/** JPEG bytes that display as the reference image once EXIF orientation `n` is applied. */
async function orientedJpeg(n: number): Promise<Buffer> {
  const swapped = n >= 5;
  const width = swapped ? REF_HEIGHT : REF_WIDTH;
  const height = swapped ? REF_WIDTH : REF_HEIGHT;
  const stored = Buffer.alloc(width * height * 3);
  for (let y = 0; y < REF_HEIGHT; y++) {
    for (let x = 0; x < REF_WIDTH; x++) {
      const [sx, sy] = storedPosition(n, x, y);
      stored.set(referenceColour(x, y), (sy * width + sx) * 3);
    }
  }
  return sharp(stored, { raw: { width, height, channels: 3 } }).withMetadata({ orientation: n }).jpeg({ quality: 95 }).toBuffer();
}

/** Mean colour of the central half of one quadrant, away from JPEG colour bleeding at the edges. */
function quadrantMean(image: RgbImage, right: boolean, bottom: boolean): number[] {
  const qw = image.width / 2;
  const qh = image.height / 2;
  const x0 = (right ? qw : 0) + qw / 4;
  const y0 = (bottom ? qh : 0) + qh / 4;
  const sum = [0, 0, 0];
  let count = 0;
  for (let y = Math.ceil(y0); y < y0 + qh / 2; y++) {
    for (let x = Math.ceil(x0); x < x0 + qw / 2; x++) {
      for (let c = 0; c < 3; c++) sum[c]! += image.data[(y * image.width + x) * 3 + c]!;
      count++;
    }
  }
  return sum.map((value) => value / count);
}

function expectColour(actual: number[], expected: readonly number[], tolerance: number): void {
  actual.forEach((value, c) => expect(Math.abs(value - expected[c]!), `channel ${c}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance));
}

/**
 * Encode a PNG by hand (filter 0 on every row), so 16-bit and grey-with-alpha files do not depend on
 * the encoder under test. `samples` are row-major, interleaved, and at most 255 or 65535.
 */
function encodePng(width: number, height: number, colourType: 0 | 2 | 4 | 6, depth: 8 | 16, samples: readonly number[]): Buffer {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType];
  const bytesPerSample = depth / 8;
  const rowBytes = width * channels * bytesPerSample;
  const raw = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++) {
      const value = samples[y * width * channels + i]!;
      const offset = y * (rowBytes + 1) + 1 + i * bytesPerSample;
      if (depth === 16) raw.writeUInt16BE(value, offset);
      else raw.writeUInt8(value, offset);
    }
  }
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(depth, 8);
  header.writeUInt8(colourType, 9);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeImage orientation', () => {
  for (let n = 1; n <= 8; n++) {
    it(`turns EXIF orientation ${n} upright`, async () => {
      const jpeg = await orientedJpeg(n);
      expect((await sharp(jpeg).metadata()).orientation).toBe(n);

      const image = await decodeImage(jpeg, `orientation-${n}.jpg`);
      expect([image.width, image.height]).toEqual([REF_WIDTH, REF_HEIGHT]);
      expect(image.data.length).toBe(REF_WIDTH * REF_HEIGHT * 3);
      expectColour(quadrantMean(image, false, false), QUADRANT_COLOURS.topLeft, 12);
      expectColour(quadrantMean(image, true, false), QUADRANT_COLOURS.topRight, 12);
      expectColour(quadrantMean(image, false, true), QUADRANT_COLOURS.bottomLeft, 12);
      expectColour(quadrantMean(image, true, true), QUADRANT_COLOURS.bottomRight, 12);
    });
  }

  it('turns a sideways real photo upright', async () => {
    const sideways = spoofSamples().find((sample) => sample.file.endsWith(`${path.sep}real${path.sep}2.jpg`))!;
    const metadata = await sharp(sideways.file).metadata();
    expect(metadata.orientation).toBe(8);
    const image = await decodeImageFile(sideways.file);
    expect([image.width, image.height]).toEqual([metadata.height, metadata.width]);
  });
});

describe('decodeImage colour formats', () => {
  it('expands a grey JPEG to three equal channels', async () => {
    const grey = await sharp({ create: { width: 20, height: 12, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .toColourspace('b-w')
      .jpeg()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const image = await decodeImage(grey, 'grey.jpg');
    expect(image.data.length).toBe(20 * 12 * 3);
    for (let i = 0; i < image.data.length; i += 3) {
      expect(image.data[i]).toBe(image.data[i + 1]);
      expect(image.data[i]).toBe(image.data[i + 2]);
      expect(Math.abs(image.data[i]! - 90)).toBeLessThanOrEqual(2);
    }
  });

  it('converts a CMYK JPEG to RGB', async () => {
    const cmyk = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 200, g: 10, b: 30 } } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const image = await decodeImage(cmyk, 'cmyk.jpg');
    expect(image.data.length).toBe(16 * 16 * 3);
    expectColour(Array.from(image.data.subarray(0, 3)), [200, 10, 30], 16);
  });

  it('drops the alpha channel of an RGBA PNG', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) samples.push(200, 10, 30, i % 2 === 0 ? 255 : 0);
    const image = await decodeImage(encodePng(3, 2, 6, 8, samples), 'rgba.png');
    expect([image.width, image.height]).toEqual([3, 2]);
    expect(Array.from(image.data.subarray(0, 6))).toEqual([200, 10, 30, 200, 10, 30]);
  });

  it('expands a grey PNG with alpha to RGB', async () => {
    const image = await decodeImage(encodePng(2, 2, 4, 8, [77, 255, 77, 128, 150, 255, 150, 0]), 'grey-alpha.png');
    expect(Array.from(image.data)).toEqual([77, 77, 77, 77, 77, 77, 150, 150, 150, 150, 150, 150]);
  });

  it('reduces a 16-bit RGB PNG to 8 bits', async () => {
    // High and low bytes differ, so reading the wrong byte order or only the low byte shows.
    const rgb16 = [0x1f00, 0x80ff, 0xff00, 0x0000, 0xffff, 0x4d2c];
    const image = await decodeImage(encodePng(2, 1, 2, 16, rgb16), 'deep.png');
    expect(image.data.length).toBe(6);
    rgb16.forEach((value, i) => expect(Math.abs(image.data[i]! - value / 257), `sample ${i}`).toBeLessThanOrEqual(1));
  });

  it('reduces a 16-bit grey PNG to 8-bit RGB', async () => {
    const image = await decodeImage(encodePng(2, 1, 0, 16, [0x9c40, 0x0fff]), 'deep-grey.png');
    expect(image.data.length).toBe(6);
    for (const [pixel, value] of [[0, 0x9c40], [1, 0x0fff]] as const) {
      for (let c = 0; c < 3; c++) expect(Math.abs(image.data[pixel * 3 + c]! - value / 257)).toBeLessThanOrEqual(1);
    }
  });

  it('decodes a palette PNG', async () => {
    const palette = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 200, g: 10, b: 30 } } })
      .png({ palette: true })
      .toBuffer();
    const image = await decodeImage(palette, 'palette.png');
    expectColour(Array.from(image.data.subarray(0, 3)), [200, 10, 30], 2);
  });

  it('returns tightly packed RGB bytes', async () => {
    const image = await decodeImageFile(lfwPhoto('al_gore'));
    expect([image.width, image.height]).toEqual([250, 250]);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(image.data.length).toBe(250 * 250 * 3);
  });
});

describe('decodeImage errors', () => {
  let dir: string;
  let photo: Buffer;

  beforeAll(() => {
    dir = makeTempDir('decode');
    photo = fs.readFileSync(lfwPhoto('al_gore'));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a JPEG cut in half as corrupt', async () => {
    const error = await rejection(decodeImage(photo.subarray(0, photo.length >> 1), 'half.jpg'), 'image.corrupt');
    expect(error.message).toContain('half.jpg');
    expect(error.params.file).toBe('half.jpg');
    expect(error.hint).toBeDefined();
  });

  it('rejects JPEG without end marker', async () => {
    await rejection(decodeImage(photo.subarray(0, photo.length - 2), 'cut.jpg'), 'image.corrupt');
  });

  it('rejects a PNG cut in half as corrupt', async () => {
    const png = await sharp(photo).png().toBuffer();
    await rejection(decodeImage(png.subarray(0, png.length >> 1), 'half.png'), 'image.corrupt');
  });

  it('rejects random bytes as unreadable', async () => {
    let state = 12345;
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      noise[i] = state >>> 24;
    }
    const error = await rejection(decodeImage(noise, 'noise.bin'), 'image.unreadable');
    expect(error.message).toContain('noise.bin');
    expect(error.hint).toMatch(/JPEG or PNG/);
  });

  it('rejects a text file as unreadable', async () => {
    await rejection(decodeImage(Buffer.from('name,photo\nalice,alice.jpg\n'), 'roster.csv'), 'image.unreadable');
  });

  it('rejects a header-only JPEG as unreadable', async () => {
    await rejection(decodeImage(photo.subarray(0, 10), 'stub.jpg'), 'image.unreadable');
  });

  for (const format of ['gif', 'webp', 'tiff'] as const) {
    it(`rejects ${format.toUpperCase()} as unsupported`, async () => {
      const bytes = await sharp(photo).toFormat(format).toBuffer();
      const error = await rejection(decodeImage(bytes, `photo.${format}`), 'image.unsupported');
      expect(error.params.format).toBe(format);
      expect(error.message).toContain(`photo.${format} is ${format}`);
    });
  }

  it('rejects SVG as unsupported', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await rejection(decodeImage(svg, 'face.svg'), 'image.unsupported');
  });

  it('rejects an empty file', async () => {
    const error = await rejection(decodeImage(new Uint8Array(0), 'empty.jpg'), 'image.empty');
    expect(error.message).toContain('empty.jpg');
  });

  it('rejects images above the pixel limit', async () => {
    // The header claims 10000x6000 pixels and almost no data follows, because the limit applies before any pixel is read.
    const header = encodePng(1, 1, 0, 8, [0]);
    header.writeUInt32BE(10_000, 16);
    header.writeUInt32BE(6_000, 20);
    header.writeUInt32BE(zlib.crc32(header.subarray(12, 29)), 29);
    expect(10_000 * 6_000).toBeGreaterThan(MAX_INPUT_PIXELS);
    const error = await rejection(decodeImage(header, 'huge.png'), 'image.too-large');
    expect(error.message).toContain('huge.png');
  });

  it('names the file in errors', async () => {
    const file = writeTempFile(dir, 'broken.jpg', photo.subarray(0, 3000));
    const error = await rejection(decodeImageFile(file), 'image.corrupt');
    expect(error.message).toContain(file);
    const good = writeTempFile(dir, 'good.jpg', photo);
    expect((await decodeImageFile(good)).width).toBe(250);
  });

  it('rejects a missing file', async () => {
    const missing = path.join(dir, 'no-such-photo.jpg');
    const error = await rejection(decodeImageFile(missing), 'image.missing');
    expect(error.message).toContain(missing);
    expect(error.params.file).toBe(missing);
  });

  it('rejects a directory as missing', async () => {
    await rejection(decodeImageFile(dir), 'image.missing');
  });

  it('rejects an empty file on disk', async () => {
    await rejection(decodeImageFile(writeTempFile(dir, 'zero.jpg', new Uint8Array(0))), 'image.empty');
  });
});

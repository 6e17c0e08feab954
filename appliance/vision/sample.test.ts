import { describe, expect, it } from 'vitest';

import type { RgbImage } from './image.js';
import { cropAffine, warpToTensor, type Affine } from './sample.js';

const WIDTH = 16;
const HEIGHT = 10;

/** Build an image whose red grows with x, green with y and blue falls with x, so each channel and position is distinct. */
function gradient(width = WIDTH, height = HEIGHT): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = x * 10;
      data[i + 1] = y * 20;
      data[i + 2] = 250 - x * 10;
    }
  }
  return { width, height, data };
}

const pixel = (image: RgbImage, x: number, y: number, channel: number): number => image.data[(y * image.width + x) * 3 + channel]!;

const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

describe('warpToTensor', () => {
  const image = gradient();
  const plane = WIDTH * HEIGHT;

  it('reproduces pixels through the identity', () => {
    const tensor = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'rgb', mean: 0, scale: 1 });
    expect(tensor.length).toBe(3 * plane);
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const o = y * WIDTH + x;
        expect(tensor[o]).toBe(pixel(image, x, y, 0));
        expect(tensor[plane + o]).toBe(pixel(image, x, y, 1));
        expect(tensor[2 * plane + o]).toBe(pixel(image, x, y, 2));
      }
    }
  });

  it('reproduces pixels through an identity crop', () => {
    const crop = cropAffine(0, 0, WIDTH, HEIGHT, WIDTH, HEIGHT);
    expect(crop).toEqual(IDENTITY);
    const tensor = warpToTensor(image, crop, { width: WIDTH, height: HEIGHT, order: 'rgb', mean: 0, scale: 1 });
    expect(tensor[3 * WIDTH + 7]).toBe(pixel(image, 7, 3, 0));
  });

  it('writes BGR planes with blue first', () => {
    const rgb = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'rgb', mean: 0, scale: 1 });
    const bgr = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'bgr', mean: 0, scale: 1 });
    expect(Array.from(bgr.subarray(0, plane))).toEqual(Array.from(rgb.subarray(2 * plane)));
    expect(Array.from(bgr.subarray(plane, 2 * plane))).toEqual(Array.from(rgb.subarray(plane, 2 * plane)));
    expect(Array.from(bgr.subarray(2 * plane))).toEqual(Array.from(rgb.subarray(0, plane)));
    expect(bgr[0]).toBe(250); // blue of pixel (0, 0)
  });

  it('writes one BT.601 luma plane for grey', () => {
    const grey = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'grey', mean: 0, scale: 1 });
    expect(grey.length).toBe(plane);
    for (const [x, y] of [[0, 0], [5, 3], [15, 9]] as const) {
      const expected = 0.299 * pixel(image, x, y, 0) + 0.587 * pixel(image, x, y, 1) + 0.114 * pixel(image, x, y, 2);
      expect(grey[y * WIDTH + x]).toBeCloseTo(expected, 4);
    }
  });

  it('normalises each value as (v - mean) / scale', () => {
    const tensor = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'bgr', mean: 127, scale: 128 });
    expect(tensor[0]).toBeCloseTo((250 - 127) / 128, 6);
    expect(tensor[2 * plane + 4]).toBeCloseTo((40 - 127) / 128, 6);
  });

  it('interpolates bilinearly between pixel centres', () => {
    // Output pixel (0, 0) samples the source at (2.5, 4.25).
    const tensor = warpToTensor(image, [1, 0, 2.5, 0, 1, 4.25], { width: 1, height: 1, order: 'rgb', mean: 0, scale: 1 });
    expect(tensor[0]).toBeCloseTo(25, 5); // red halfway between x = 2 and 3
    expect(tensor[1]).toBeCloseTo(85, 5); // green a quarter of the way from y = 4 to 5
    expect(tensor[2]).toBeCloseTo(225, 5);
  });

  it('scales through a crop affine', () => {
    // Shrink the 16x10 image to 8x5: each output pixel covers 2x2 source pixels and samples their centre.
    const tensor = warpToTensor(image, cropAffine(0, 0, WIDTH, HEIGHT, 8, 5), { width: 8, height: 5, order: 'rgb', mean: 0, scale: 1 });
    expect(tensor[0]).toBeCloseTo(5, 5); // red between x = 0 and 1
    expect(tensor[8 * 5 + 8 * 4 + 7]).toBeCloseTo(170, 5); // green of the last row, between y = 8 and 9
  });

  it('writes the fill value outside the image', () => {
    // Shift by 4 px left and up: the first 4 columns and rows sample outside the source.
    const shift: Affine = [1, 0, -4, 0, 1, -4];
    const tensor = warpToTensor(image, shift, { width: WIDTH, height: HEIGHT, order: 'rgb', mean: 127, scale: 128, fill: 0 });
    const outside = (0 - 127) / 128;
    for (let p = 0; p < 3; p++) {
      expect(tensor[p * plane + 0]).toBeCloseTo(outside, 6);
      expect(tensor[p * plane + 3 * WIDTH + 10]).toBeCloseTo(outside, 6);
    }
    // Output (4, 4) is source (0, 0), inside again.
    expect(tensor[4 * WIDTH + 4]).toBeCloseTo((pixel(image, 0, 0, 0) - 127) / 128, 6);
    expect(tensor[2 * plane + 4 * WIDTH + 4]).toBeCloseTo((pixel(image, 0, 0, 2) - 127) / 128, 6);
  });

  it('counts half a pixel out as inside', () => {
    const tensor = warpToTensor(image, [1, 0, -0.5, 0, 1, 0], { width: 1, height: 1, order: 'rgb', mean: 0, scale: 1, fill: 99 });
    expect(tensor[0]).toBe(pixel(image, 0, 0, 0));
    const beyond = warpToTensor(image, [1, 0, -0.51, 0, 1, 0], { width: 1, height: 1, order: 'rgb', mean: 0, scale: 1, fill: 99 });
    expect(beyond[0]).toBe(99);
  });

  it('repeats edge pixels without fill', () => {
    const shift: Affine = [1, 0, -4, 0, 1, 20];
    const tensor = warpToTensor(image, shift, { width: WIDTH, height: 1, order: 'rgb', mean: 0, scale: 1 });
    expect(tensor[0]).toBe(pixel(image, 0, HEIGHT - 1, 0));
    expect(tensor[WIDTH + 0]).toBe(pixel(image, 0, HEIGHT - 1, 1));
  });

  it('writes into a given output buffer', () => {
    const out = new Float32Array(3 * plane).fill(-1);
    const tensor = warpToTensor(image, IDENTITY, { width: WIDTH, height: HEIGHT, order: 'rgb', mean: 0, scale: 1 }, out);
    expect(tensor).toBe(out);
    expect(out[1]).toBe(10);
  });
});

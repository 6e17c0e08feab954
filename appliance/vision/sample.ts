import type { RgbImage } from './image.js';

/**
 * 2x3 affine matrix [a, b, c, d, e, f] mapping output pixel (u, v) to source pixel
 * (x, y) = (a*u + b*v + c, d*u + e*v + f). Pixel centres sit at integer coordinates.
 */
export type Affine = [number, number, number, number, number, number];

export type ChannelOrder = 'rgb' | 'bgr' | 'grey';

export interface TensorSpec {
  width: number;
  height: number;
  order: ChannelOrder;
  /** value written = (v - mean) / scale, with v the interpolated 0..255 sample. */
  mean: number;
  scale: number;
  /**
   * Sample value (0..255) for output pixels whose source lies outside the image. Without it the
   * nearest edge pixel repeats, so a face at the border is padded with its own edge colour.
   */
  fill?: number;
}

/**
 * Sample `image` through `inverse` (output → source) with bilinear interpolation and write a planar
 * NCHW float tensor.
 */
export function warpToTensor(image: RgbImage, inverse: Affine, spec: TensorSpec, out?: Float32Array): Float32Array {
  const { width: outW, height: outH } = spec;
  const planes = spec.order === 'grey' ? 1 : 3;
  const tensor = out ?? new Float32Array(planes * outW * outH);
  const planeSize = outW * outH;
  const [a, b, c, d, e, f] = inverse;
  const src = image.data;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  const stride = image.width * 3;
  const invScale = 1 / spec.scale;
  const mean = spec.mean;
  // Plane index of source channels R, G, B in the output.
  const rPlane = spec.order === 'bgr' ? 2 : 0;
  const bPlane = spec.order === 'bgr' ? 0 : 2;
  const fill = spec.fill;
  const fillValue = fill === undefined ? 0 : (fill - mean) * invScale;

  for (let v = 0; v < outH; v++) {
    let x = b * v + c;
    let y = e * v + f;
    for (let u = 0; u < outW; u++, x += a, y += d) {
      if (fill !== undefined && (x < -0.5 || y < -0.5 || x > maxX + 0.5 || y > maxY + 0.5)) {
        const o = v * outW + u;
        for (let p = 0; p < planes; p++) tensor[p * planeSize + o] = fillValue;
        continue;
      }
      const cx = x < 0 ? 0 : x > maxX ? maxX : x;
      const cy = y < 0 ? 0 : y > maxY ? maxY : y;
      const x0 = Math.floor(cx);
      const y0 = Math.floor(cy);
      const x1 = x0 < maxX ? x0 + 1 : x0;
      const y1 = y0 < maxY ? y0 + 1 : y0;
      const fx = cx - x0;
      const fy = cy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p00 = y0 * stride + x0 * 3;
      const p01 = y0 * stride + x1 * 3;
      const p10 = y1 * stride + x0 * 3;
      const p11 = y1 * stride + x1 * 3;
      const r = src[p00]! * w00 + src[p01]! * w01 + src[p10]! * w10 + src[p11]! * w11;
      const g = src[p00 + 1]! * w00 + src[p01 + 1]! * w01 + src[p10 + 1]! * w10 + src[p11 + 1]! * w11;
      const bl = src[p00 + 2]! * w00 + src[p01 + 2]! * w01 + src[p10 + 2]! * w10 + src[p11 + 2]! * w11;
      const o = v * outW + u;
      if (planes === 1) {
        // ITU-R BT.601 luma, as OpenCV's RGB to grey conversion uses.
        tensor[o] = (0.299 * r + 0.587 * g + 0.114 * bl - mean) * invScale;
      } else {
        tensor[rPlane * planeSize + o] = (r - mean) * invScale;
        tensor[planeSize + o] = (g - mean) * invScale;
        tensor[bPlane * planeSize + o] = (bl - mean) * invScale;
      }
    }
  }
  return tensor;
}

/** Inverse affine for cropping the source rectangle (x, y, w, h) into an output of outW x outH. */
export function cropAffine(x: number, y: number, w: number, h: number, outW: number, outH: number): Affine {
  const sx = w / outW;
  const sy = h / outH;
  // Map output pixel centres to source pixel centres.
  return [sx, 0, x + 0.5 * sx - 0.5, 0, sy, y + 0.5 * sy - 0.5];
}

/** Invert a forward 2x3 affine transform. */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError('affine transform is singular');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/** Apply a forward affine to a point. */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

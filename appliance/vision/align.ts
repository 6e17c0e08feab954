import type { Point, RgbImage } from './image.js';
import { invertAffine, warpToTensor, type Affine, type TensorSpec } from './sample.js';

export const ALIGNED_SIZE = 112;

/** Five-point template of the 112x112 ArcFace crop: eye centres, nose tip, mouth corners. */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection) taking `src`
 * onto `dst`: Umeyama's estimator (IEEE TPAMI 13(4), 1991), which in two dimensions has this closed form.
 * Returns the forward affine src → dst.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Affine {
  if (src.length !== dst.length || src.length < 2) {
    throw new RangeError(`similarity needs two equal point sets of at least 2, got ${src.length} and ${dst.length}`);
  }
  const n = src.length;
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]!.x; sy += src[i]!.y; dx += dst[i]!.x; dy += dst[i]!.y;
  }
  sx /= n; sy /= n; dx /= n; dy /= n;

  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i]!.x - sx, py = src[i]!.y - sy;
    const qx = dst[i]!.x - dx, qy = dst[i]!.y - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (norm < 1e-12) throw new RangeError('similarity source points coincide');
  // [a -b; b a] is scale times rotation.
  const a = dot / norm;
  const b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/** Forward transform from the source image onto the 112x112 template, for five detected points. */
export function alignmentTransform(points: readonly Point[]): Affine {
  return estimateSimilarity(points, ARCFACE_TEMPLATE);
}

/** Warp the face into the aligned 112x112 crop, written as a tensor with `spec`'s channel order and normalisation. */
export function alignFace(image: RgbImage, forward: Affine, spec: Omit<TensorSpec, 'width' | 'height'>): Float32Array {
  return warpToTensor(image, invertAffine(forward), { ...spec, width: ALIGNED_SIZE, height: ALIGNED_SIZE });
}

import type { RgbImage } from './image.js';
import { ALIGNED_SIZE, alignFace } from './align.js';
import type { Affine } from './sample.js';
import type { ModelSession } from './session.js';

export const EMBEDDING_DIM = 512;

/** Scale a vector to unit length in place; a zero vector stays zero. */
export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** The aligned crop as `fr_feature` wants it: BGR planes, (v - 127) / 128. */
export function featureInput(image: RgbImage, forward: Affine): Float32Array {
  return alignFace(image, forward, { order: 'bgr', mean: 127, scale: 128 });
}

/** Compute the L2-normalised 512-d embedding of an aligned face tensor. */
export async function embedFace(session: ModelSession, input: Float32Array): Promise<Float32Array> {
  return (await embedFaceWithNorm(session, input)).embedding;
}

/** Compute the L2-normalised embedding and the length the model's output had before normalising. */
export async function embedFaceWithNorm(session: ModelSession, input: Float32Array): Promise<{ embedding: Float32Array; norm: number }> {
  const out = await session.run(input, [1, 3, ALIGNED_SIZE, ALIGNED_SIZE]);
  const raw = Float32Array.from(out.output!);
  let sum = 0;
  for (const value of raw) sum += value * value;
  return { embedding: l2Normalise(raw), norm: Math.sqrt(sum) };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

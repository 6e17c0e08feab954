import type { Box, RgbImage } from './image.js';
import { cropAffine, warpToTensor } from './sample.js';
import type { ModelSession } from './session.js';

export const LIVENESS_SIZE = 128;
/** Context around the face the liveness model was trained with: 2.7 times the face box. */
export const LIVENESS_CONTEXT = 2.7;

/**
 * The liveness crop: the square face box enlarged `LIVENESS_CONTEXT` times, shrunk when the image is
 * too small for it and shifted to stay inside the image, as the model's training crops were made.
 */
export function livenessCrop(box: Box, width: number, height: number): { x: number; y: number; w: number; h: number } {
  const side = box.y2 - box.y1;
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  const scale = Math.min((height - 1) / side, (width - 1) / side, LIVENESS_CONTEXT);
  const w = side * scale;
  const h = side * scale;
  let x = cx - w / 2;
  let y = cy - h / 2;
  x = Math.min(Math.max(x, 0), width - 1 - w);
  y = Math.min(Math.max(y, 0), height - 1 - h);
  return { x, y, w, h };
}

function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

/** Probability that the face is live (class 0 of `fr_liveness`; classes 1 and 2 are print and replay attacks). */
export async function scoreLiveness(session: ModelSession, image: RgbImage, box: Box): Promise<number> {
  const crop = livenessCrop(box, image.width, image.height);
  const input = warpToTensor(image, cropAffine(crop.x, crop.y, crop.w, crop.h, LIVENESS_SIZE, LIVENESS_SIZE), {
    width: LIVENESS_SIZE,
    height: LIVENESS_SIZE,
    order: 'bgr',
    mean: 0,
    scale: 1,
  });
  const out = await session.run(input, [1, 3, LIVENESS_SIZE, LIVENESS_SIZE]);
  return softmax(out.output!)[0]!;
}

import type { Box, RgbImage } from './image.js';
import { nonMaximumSuppression, type ScoredBox } from './nms.js';
import { warpToTensor, type Affine } from './sample.js';
import { shrinkImage } from './shrink.js';
import type { ModelSession } from './session.js';

export const DETECT_WIDTH = 320;
export const DETECT_HEIGHT = 240;

export interface DetectOptions {
  /** Minimum face probability kept before NMS. */
  scoreThreshold: number;
  iouThreshold: number;
  maxFaces: number;
}

export const DEFAULT_DETECT_OPTIONS: DetectOptions = { scoreThreshold: 0.7, iouThreshold: 0.4, maxFaces: 10 };

export interface Detection extends ScoredBox {}

/**
 * Place the image inside the 320x240 detector input, aspect ratio kept, centred, and shrunk by `zoomOut`
 * so that a face filling the frame still fits the detector's largest anchors (256 px).
 * Returns the inverse affine (input → source pixel) that the sampler and box mapping use.
 */
export function letterbox(width: number, height: number, zoomOut = 1): { inverse: Affine; scale: number; dx: number; dy: number } {
  const scale = Math.min(DETECT_WIDTH / width, DETECT_HEIGHT / height) / zoomOut;
  const dx = (DETECT_WIDTH - width * scale) / 2;
  const dy = (DETECT_HEIGHT - height * scale) / 2;
  const s = 1 / scale;
  return { inverse: [s, 0, (0.5 - dx) * s - 0.5, 0, s, (0.5 - dy) * s - 0.5], scale, dx, dy };
}

/** Turn raw detector outputs into boxes in the coordinates of the letterboxed source. */
export function decodeDetections(
  scores: Float32Array,
  boxes: Float32Array,
  frame: { scale: number; dx: number; dy: number },
  options: DetectOptions,
): Detection[] {
  const anchors = scores.length / 2;
  const candidates: Detection[] = [];
  for (let i = 0; i < anchors; i++) {
    const score = scores[i * 2 + 1]!;
    if (score < options.scoreThreshold) continue;
    const x1 = (boxes[i * 4]! * DETECT_WIDTH - frame.dx) / frame.scale;
    const y1 = (boxes[i * 4 + 1]! * DETECT_HEIGHT - frame.dy) / frame.scale;
    const x2 = (boxes[i * 4 + 2]! * DETECT_WIDTH - frame.dx) / frame.scale;
    const y2 = (boxes[i * 4 + 3]! * DETECT_HEIGHT - frame.dy) / frame.scale;
    if (x2 <= x1 || y2 <= y1) continue;
    candidates.push({ x1, y1, x2, y2, score });
  }
  return nonMaximumSuppression(candidates, options.iouThreshold, options.maxFaces);
}

/**
 * Detect faces with `fr_detect`. Large images are first shrunk by area averaging; when nothing is found
 * the image is tried again zoomed out, because a face filling the whole frame is larger than the
 * detector's biggest anchor.
 */
export async function detectFaces(
  session: ModelSession,
  image: RgbImage,
  options: DetectOptions = DEFAULT_DETECT_OPTIONS,
): Promise<Detection[]> {
  const fit = Math.max(image.width / DETECT_WIDTH, image.height / DETECT_HEIGHT);
  let source = image;
  let back = 1;
  if (fit > 2.5) {
    const factor = fit / 2;
    source = await shrinkImage(image, factor);
    back = image.width / source.width;
  }

  for (const zoomOut of [1, 2]) {
    const frame = letterbox(source.width, source.height, zoomOut);
    const input = warpToTensor(source, frame.inverse, {
      width: DETECT_WIDTH,
      height: DETECT_HEIGHT,
      order: 'rgb',
      mean: 127,
      scale: 128,
      fill: 127,
    });
    const out = await session.run(input, [1, 3, DETECT_HEIGHT, DETECT_WIDTH]);
    const found = decodeDetections(out.scores!, out.boxes!, frame, options);
    if (found.length > 0) {
      return found.map((d) => ({ x1: d.x1 * back, y1: d.y1 * back, x2: d.x2 * back, y2: d.y2 * back, score: d.score }));
    }
  }
  return [];
}

/** Area of a box, for choosing the most prominent face. */
export function boxArea(box: Box): number {
  return Math.max(0, box.x2 - box.x1) * Math.max(0, box.y2 - box.y1);
}

import { iou, type Box } from './image.js';

export interface ScoredBox extends Box {
  score: number;
}

/**
 * Greedy non-maximum suppression: keep the highest-scoring box, drop every remaining box whose
 * IoU with it exceeds `iouThreshold`, repeat. Returns the kept boxes by descending score, at most `limit`.
 */
export function nonMaximumSuppression<T extends ScoredBox>(boxes: readonly T[], iouThreshold: number, limit = Infinity): T[] {
  const sorted = [...boxes].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  const suppressed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length && kept.length < limit; i++) {
    if (suppressed[i]) continue;
    const current = sorted[i]!;
    kept.push(current);
    for (let j = i + 1; j < sorted.length; j++) {
      if (!suppressed[j] && iou(current, sorted[j]!) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}

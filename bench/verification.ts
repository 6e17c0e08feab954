import { mean, standardDeviation } from './record.js';

export interface ScoredPair {
  /** Cosine similarity; null when either image failed (no face, quality gate, unreadable). */
  score: number | null;
  same: boolean;
  fold: number;
}

/** Score accuracy at a threshold. A failed pair is decided "not the same person", as a gate would, so it costs accuracy on genuine pairs. */
function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  let correct = 0;
  for (const p of pairs) if ((p.score !== null && p.score >= threshold) === p.same) correct++;
  return correct / pairs.length;
}

function bestThreshold(pairs: readonly ScoredPair[]): number {
  const candidates = [...new Set(pairs.filter((p) => p.score !== null).map((p) => p.score!))].sort((a, b) => a - b);
  let best = -1;
  let bestAccuracy = -1;
  for (const t of candidates) {
    const accuracy = accuracyAt(pairs, t);
    if (accuracy > bestAccuracy) {
      bestAccuracy = accuracy;
      best = t;
    }
  }
  return best;
}

/** k-fold verification accuracy: each fold is scored at the threshold that is best on the other folds. */
export function foldAccuracy(pairs: readonly ScoredPair[]): { mean: number; std: number; folds: number[]; thresholds: number[] } {
  const foldIds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  const folds: number[] = [];
  const thresholds: number[] = [];
  for (const fold of foldIds) {
    const threshold = bestThreshold(pairs.filter((p) => p.fold !== fold));
    thresholds.push(threshold);
    folds.push(accuracyAt(pairs.filter((p) => p.fold === fold), threshold));
  }
  return { mean: mean(folds), std: standardDeviation(folds), folds, thresholds };
}

export interface TarAtFar {
  far: number;
  tar: number;
  threshold: number;
  /** True when there are fewer than 1/far impostor scores, so the rate cannot be resolved. */
  underResolved: boolean;
}

/**
 * True accept rate at a false accept rate. `impostors` must be sorted descending; genuine failures
 * (null scores) count as rejections.
 */
export function tarAtFar(genuine: ArrayLike<number>, genuineFailures: number, impostorsDescending: ArrayLike<number>, far: number): TarAtFar {
  const allowed = Math.floor(far * impostorsDescending.length);
  const threshold = impostorsDescending[Math.min(allowed, impostorsDescending.length - 1)]!;
  let accepted = 0;
  for (let i = 0; i < genuine.length; i++) if (genuine[i]! > threshold) accepted++;
  return { far, tar: accepted / (genuine.length + genuineFailures), threshold, underResolved: impostorsDescending.length * far < 1 };
}

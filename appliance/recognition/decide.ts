import type { SubjectMatch } from '../gallery/matcher.js';

export type IdentityDecision = 'match' | 'unknown' | 'ambiguous';

export interface IdentityOutcome {
  decision: IdentityDecision;
  /** The best subject when `decision` is `match` or `ambiguous`. */
  best: SubjectMatch | undefined;
  second: SubjectMatch | undefined;
  /** Best score minus second-best subject's score; the best score itself when there is one subject. */
  margin: number | undefined;
  threshold: number;
}

/**
 * Open-set decision on the top two subjects: a match needs the best score at or above the calibrated
 * threshold and a lead of at least `minMargin` over the next subject, so ties and look-alikes are refused.
 */
export function decideIdentity(matches: readonly SubjectMatch[], threshold: number, minMargin: number): IdentityOutcome {
  const [best, second] = matches;
  if (best === undefined || best.score < threshold) {
    return { decision: 'unknown', best, second, margin: undefined, threshold };
  }
  const margin = second === undefined ? best.score : best.score - second.score;
  return { decision: margin >= minMargin ? 'match' : 'ambiguous', best, second, margin, threshold };
}

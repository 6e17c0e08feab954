import type { FaceObservation, GateDecisionKind, GateDecisionReason } from './types.js';

/** What one frame contributed to its track. */
export type FrameOutcome =
  | { kind: 'low-quality'; reasons: readonly string[] }
  | { kind: 'no-liveness' }
  | { kind: 'not-live'; liveness: number }
  | { kind: 'no-embedding' }
  | { kind: 'match'; subjectId: string; score: number; margin: number }
  | { kind: 'ambiguous'; subjectId: string; score: number; margin: number }
  | { kind: 'no-match'; bestScore: number | undefined; threshold: number };

export interface Verdict {
  decision: GateDecisionKind;
  reason: GateDecisionReason;
  subjectId: string | null;
  votes: number;
  scores: { match?: number; margin?: number; liveness?: number };
}

interface SubjectVotes {
  count: number;
  scoreSum: number;
  marginSum: number;
}

/** How many no-match frames, per required vote, make a track unknown. */
export const UNKNOWN_FRAMES_PER_VOTE = 2;

/**
 * The evidence one track has gathered, and the rules that turn it into a decision. A frame votes
 * for a subject only when its quality passed, its liveness reached the threshold and the open-set
 * decision was a match. Rules, checked after every frame in this order (N = votesRequired):
 *
 * 1. spoof: liveness failed on at least N frames and on more frames than it passed.
 * 2. denied (`votes-disagree`): the match votes name two or more subjects and add up to N.
 * 3. granted: one subject has N votes, no other subject has any, and the frames against it
 *    (ambiguous or not live) are fewer than half its votes.
 * 4. denied (`ambiguous-match`): N frames had the best two subjects closer than the minimum margin.
 * 5. unknown: at least 2N live, good frames matched nobody, and more than twice the match votes.
 */
export class TrackVotes {
  frames = 0;
  private readonly subjects = new Map<string, SubjectVotes>();
  private ambiguous = 0;
  private noMatch = 0;
  private noMatchBestSum = 0;
  private noMatchBestCount = 0;
  private live = 0;
  private liveSum = 0;
  private notLive = 0;
  private notLiveSum = 0;

  /** Classify one frame and count it. */
  add(observation: FaceObservation, livenessThreshold: number): FrameOutcome {
    this.frames += 1;
    if (!observation.qualityOk) return { kind: 'low-quality', reasons: observation.qualityReasons };
    if (observation.liveness === null) return { kind: 'no-liveness' };
    if (observation.liveness < livenessThreshold) {
      this.notLive += 1;
      this.notLiveSum += observation.liveness;
      return { kind: 'not-live', liveness: observation.liveness };
    }
    this.live += 1;
    this.liveSum += observation.liveness;

    const identity = observation.identity;
    if (observation.embedding === null || identity === undefined) return { kind: 'no-embedding' };
    if (identity.decision === 'unknown') {
      this.noMatch += 1;
      if (identity.best !== undefined) {
        this.noMatchBestSum += identity.best.score;
        this.noMatchBestCount += 1;
      }
      return { kind: 'no-match', bestScore: identity.best?.score, threshold: identity.threshold };
    }
    const best = identity.best!;
    const margin = identity.margin ?? 0;
    if (identity.decision === 'ambiguous') {
      this.ambiguous += 1;
      return { kind: 'ambiguous', subjectId: best.subjectId, score: best.score, margin };
    }
    const votes = this.subjects.get(best.subjectId) ?? { count: 0, scoreSum: 0, marginSum: 0 };
    votes.count += 1;
    votes.scoreSum += best.score;
    votes.marginSum += margin;
    this.subjects.set(best.subjectId, votes);
    return { kind: 'match', subjectId: best.subjectId, score: best.score, margin };
  }

  /** The decision the evidence supports so far, or undefined while it supports none. */
  verdict(votesRequired: number): Verdict | undefined {
    if (this.notLive >= votesRequired && this.notLive > this.live) {
      return { decision: 'spoof', reason: 'liveness-failed', subjectId: null, votes: this.notLive, scores: { liveness: round(this.notLiveSum / this.notLive) } };
    }

    const ranked = [...this.subjects.entries()].sort((a, b) => b[1].count - a[1].count);
    const totalVotes = ranked.reduce((sum, [, votes]) => sum + votes.count, 0);
    if (ranked.length >= 2 && totalVotes >= votesRequired) {
      const [, leader] = ranked[0]!;
      return {
        decision: 'denied',
        reason: 'votes-disagree',
        subjectId: null,
        votes: totalVotes,
        scores: { match: round(leader.scoreSum / leader.count), ...this.livenessScore() },
      };
    }

    const leader = ranked[0];
    if (leader !== undefined) {
      const [subjectId, votes] = leader;
      const against = this.ambiguous + this.notLive;
      if (votes.count >= votesRequired && against * 2 < votes.count) {
        return {
          decision: 'granted',
          reason: 'match',
          subjectId,
          votes: votes.count,
          scores: { match: round(votes.scoreSum / votes.count), margin: round(votes.marginSum / votes.count), ...this.livenessScore() },
        };
      }
    }

    if (this.ambiguous >= votesRequired) {
      return { decision: 'denied', reason: 'ambiguous-match', subjectId: null, votes: this.ambiguous, scores: this.livenessScore() };
    }

    if (this.noMatch >= UNKNOWN_FRAMES_PER_VOTE * votesRequired && this.noMatch > 2 * totalVotes) {
      const match = this.noMatchBestCount > 0 ? { match: round(this.noMatchBestSum / this.noMatchBestCount) } : {};
      return { decision: 'unknown', reason: 'no-match', subjectId: null, votes: this.noMatch, scores: { ...match, ...this.livenessScore() } };
    }
    return undefined;
  }

  /** Counts for debug logs, with subjects named by `describe`. */
  summary(describe: (subjectId: string) => string = (subjectId) => subjectId): Record<string, number | Record<string, number>> {
    return {
      frames: this.frames,
      live: this.live,
      notLive: this.notLive,
      ambiguous: this.ambiguous,
      noMatch: this.noMatch,
      votes: Object.fromEntries([...this.subjects.entries()].map(([subject, votes]) => [describe(subject), votes.count])),
    };
  }

  private livenessScore(): { liveness?: number } {
    return this.live > 0 ? { liveness: round(this.liveSum / this.live) } : {};
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

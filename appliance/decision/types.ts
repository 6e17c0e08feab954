import type { IdentityOutcome } from '../recognition/decide.js';
import type { Box } from '../vision/image.js';

/** What the vision worker and the matcher found about one face in one frame. */
export interface FaceObservation {
  box: Box;
  /** The quality gate passed (size, sharpness, pose, exposure). */
  qualityOk: boolean;
  /** Why the quality gate failed; empty when it passed. */
  qualityReasons: readonly string[];
  /** Probability that the face is live, or null when liveness was not scored. */
  liveness: number | null;
  /** L2-normalised embedding, or null when the quality gate failed. */
  embedding: Float32Array | null;
  /** Open-set decision against the gallery; undefined when there is no embedding. */
  identity: IdentityOutcome | undefined;
}

export type GateDecisionKind = 'granted' | 'denied' | 'unknown' | 'spoof';

/** Why a track was decided the way it was; the attendance event carries it as `reason`. */
export type GateDecisionReason = 'match' | 'votes-disagree' | 'ambiguous-match' | 'no-match' | 'liveness-failed';

/** The outcome of one track, reached once per track. */
export interface GateDecision {
  trackId: number;
  decision: GateDecisionKind;
  reason: GateDecisionReason;
  /** Gallery subject id of a grant; null for every other decision. Never sent on the wire (the pseudonym is). */
  subjectId: string | null;
  /** Means over the frames behind the decision. */
  scores: { match?: number; margin?: number; liveness?: number };
  direction: 'in' | 'out';
  /**
   * A grant for a subject whose previous grant was recorded less than `debounceMs` ago. The door
   * opens, but no second attendance event is recorded.
   */
  repeat: boolean;
  /** Frames of the track seen up to the decision. */
  frames: number;
  /** Agreeing match votes (grants), or the frames that decided the other outcomes. */
  votes: number;
  trackStartedAtMs: number;
  decidedAtMs: number;
}

export interface DeciderSettings {
  /** Agreeing match votes needed for a grant (`decision.votesRequired`). */
  votesRequired: number;
  /** A track ends when its face has not been seen for this long (`decision.trackTimeoutMs`). */
  trackTimeoutMs: number;
  /** A track older than this is closed and a new one begins (`decision.maxTrackAgeMs`). */
  maxTrackAgeMs: number;
  /** A subject's repeat grant within this time records no new event (`decision.debounceMs`). */
  debounceMs: number;
  /** Liveness at or above which a face counts as live (`vision.livenessThreshold`). */
  livenessThreshold: number;
  direction: 'in' | 'out';
}

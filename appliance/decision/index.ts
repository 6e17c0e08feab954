/** Decision per track: follow faces across frames, count votes, debounce repeat grants. */
export { GateDecider, type GateDeciderOptions } from './decider.js';
export { Identifier, type IdentifierOptions } from './identifier.js';
export { FaceTracker, cosine, type TrackerSettings, type TrackedFace, type TrackEnd } from './tracker.js';
export type { DeciderSettings, FaceObservation, GateDecision, GateDecisionKind, GateDecisionReason } from './types.js';
export { TrackVotes, UNKNOWN_FRAMES_PER_VOTE, type FrameOutcome, type Verdict } from './votes.js';

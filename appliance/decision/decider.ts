import type { Logger } from '../common/logger.js';
import { FaceTracker, type TrackEnd, type TrackedFace, type TrackerSettings } from './tracker.js';
import type { DeciderSettings, FaceObservation, GateDecision } from './types.js';
import { TrackVotes, type FrameOutcome } from './votes.js';

interface TrackState {
  face: TrackedFace;
  votes: TrackVotes;
  decided: GateDecision | undefined;
}

export interface GateDeciderOptions {
  settings: DeciderSettings;
  logger: Logger;
  /** Tracker tuning beyond the timeouts in `settings`. */
  tracker?: Omit<TrackerSettings, 'trackTimeoutMs' | 'maxTrackAgeMs'>;
  /** How a subject appears in logs; the daemon passes the pseudonym so logs name no worker. */
  describeSubject?: (subjectId: string) => string;
}

/**
 * Turns per-frame observations into one decision per track: it follows faces across frames,
 * counts each track's votes (see TrackVotes for the rules), and debounces repeat grants of the same
 * subject. Pure: the caller passes the time of every frame, so tests drive it with a fake clock.
 * Every frame that does not move a track towards a decision is logged at debug with its track id.
 */
export class GateDecider {
  private readonly tracker: FaceTracker;
  private readonly states = new Map<number, TrackState>();
  /** When each subject's last recorded (non-repeat) grant happened. */
  private readonly lastRecorded = new Map<string, number>();
  private readonly log: Logger;
  private readonly settings: DeciderSettings;
  private readonly describe: (subjectId: string) => string;

  constructor(options: GateDeciderOptions) {
    this.settings = options.settings;
    this.log = options.logger.child({ module: 'decision' });
    this.describe = options.describeSubject ?? ((subjectId) => subjectId);
    this.tracker = new FaceTracker({
      ...options.tracker,
      trackTimeoutMs: options.settings.trackTimeoutMs,
      maxTrackAgeMs: options.settings.maxTrackAgeMs,
    });
  }

  /** Tracks currently followed. */
  get activeTracks(): number {
    return this.tracker.size;
  }

  /** Take the faces of one frame seen at `nowMs`; returns the decisions this frame completed. */
  observe(observations: readonly FaceObservation[], nowMs: number): GateDecision[] {
    const update = this.tracker.update(observations, nowMs);
    for (const { track, cause } of update.ended) this.end(track, cause);
    if (observations.length === 0) {
      this.log.debug({ tracks: this.tracker.size }, 'frame has no analysed face');
      return [];
    }

    const decisions: GateDecision[] = [];
    for (const { track, observation, created } of update.assignments) {
      let state = this.states.get(track.id);
      if (state === undefined || created) {
        state = { face: track, votes: new TrackVotes(), decided: undefined };
        this.states.set(track.id, state);
        this.log.debug({ trackId: track.id, box: roundBox(observation.box) }, 'track started');
      }
      const decision = this.step(state, observation, nowMs);
      if (decision !== undefined) decisions.push(decision);
    }
    return decisions;
  }

  /** End tracks that timed out; call it when frames stop arriving, so a track does not linger. */
  expire(nowMs: number): void {
    for (const { track, cause } of this.tracker.expire(nowMs)) this.end(track, cause);
  }

  /** End every track, as when the camera input ends or the daemon stops. */
  clear(): void {
    for (const track of this.tracker.clear()) this.end(track, 'timeout');
  }

  private step(state: TrackState, observation: FaceObservation, nowMs: number): GateDecision | undefined {
    const trackId = state.face.id;
    if (state.decided !== undefined) {
      this.log.debug({ trackId, decision: state.decided.decision }, 'frame ignored: track already decided');
      return undefined;
    }

    const outcome = state.votes.add(observation, this.settings.livenessThreshold);
    this.logOutcome(trackId, outcome);
    const verdict = state.votes.verdict(this.settings.votesRequired);
    if (verdict === undefined) {
      this.log.debug({ trackId, ...state.votes.summary(this.describe), votesRequired: this.settings.votesRequired }, 'no decision yet: not enough evidence');
      return undefined;
    }

    let repeat = false;
    if (verdict.decision === 'granted' && verdict.subjectId !== null) {
      repeat = this.isRepeat(verdict.subjectId, nowMs);
      if (repeat) {
        this.log.debug(
          { trackId, subject: this.describe(verdict.subjectId), debounceMs: this.settings.debounceMs },
          'repeat grant within the debounce time: door opens, no new attendance event',
        );
      } else {
        this.lastRecorded.set(verdict.subjectId, nowMs);
      }
    }

    const decision: GateDecision = {
      trackId,
      decision: verdict.decision,
      reason: verdict.reason,
      subjectId: verdict.subjectId,
      scores: verdict.scores,
      direction: this.settings.direction,
      repeat,
      frames: state.votes.frames,
      votes: verdict.votes,
      trackStartedAtMs: state.face.startedAtMs,
      decidedAtMs: nowMs,
    };
    state.decided = decision;
    this.log.debug(
      {
        trackId,
        decision: decision.decision,
        reason: decision.reason,
        subject: decision.subjectId === null ? null : this.describe(decision.subjectId),
        ...state.votes.summary(this.describe),
      },
      'track decided',
    );
    return decision;
  }

  private isRepeat(subjectId: string, nowMs: number): boolean {
    for (const [subject, at] of this.lastRecorded) {
      if (nowMs - at >= this.settings.debounceMs) this.lastRecorded.delete(subject);
    }
    const last = this.lastRecorded.get(subjectId);
    return last !== undefined && nowMs - last < this.settings.debounceMs;
  }

  private logOutcome(trackId: number, outcome: FrameOutcome): void {
    switch (outcome.kind) {
      case 'low-quality':
        this.log.debug({ trackId, reasons: outcome.reasons }, 'frame casts no vote: quality gate failed');
        return;
      case 'no-liveness':
        this.log.debug({ trackId }, 'frame casts no vote: no liveness score');
        return;
      case 'not-live':
        this.log.debug({ trackId, liveness: outcome.liveness, threshold: this.settings.livenessThreshold }, 'frame casts no vote: liveness below threshold');
        return;
      case 'no-embedding':
        this.log.debug({ trackId }, 'frame casts no vote: no embedding');
        return;
      case 'no-match':
        this.log.debug({ trackId, bestScore: outcome.bestScore, threshold: outcome.threshold }, 'frame casts no vote: no subject reaches the threshold');
        return;
      case 'ambiguous':
        this.log.debug(
          { trackId, subject: this.describe(outcome.subjectId), score: outcome.score, margin: outcome.margin },
          'frame casts no vote: best two subjects are closer than the minimum margin',
        );
        return;
      case 'match':
        this.log.debug({ trackId, subject: this.describe(outcome.subjectId), score: outcome.score, margin: outcome.margin }, 'frame votes for a subject');
        return;
    }
  }

  private end(track: TrackedFace, cause: TrackEnd): void {
    const state = this.states.get(track.id);
    this.states.delete(track.id);
    if (state === undefined) return;
    if (state.decided === undefined) {
      this.log.debug({ trackId: track.id, cause, ...state.votes.summary(this.describe) }, 'track ended undecided: nothing recorded');
    } else {
      this.log.debug({ trackId: track.id, cause, decision: state.decided.decision }, 'track ended');
    }
  }
}

function roundBox(box: { x1: number; y1: number; x2: number; y2: number }): number[] {
  return [box.x1, box.y1, box.x2, box.y2].map((value) => Math.round(value));
}

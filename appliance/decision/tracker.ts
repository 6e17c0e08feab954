import type { Box } from '../vision/image.js';
import { iou } from '../vision/image.js';

/** How faces in one frame are tied to the faces of earlier frames. */
export interface TrackerSettings {
  trackTimeoutMs: number;
  maxTrackAgeMs: number;
  /** Boxes that overlap at least this much (intersection over union) may belong to one track. */
  minIou?: number;
  /** Or boxes whose centres moved at most this fraction of the box side. */
  maxCentreShift?: number;
  /**
   * When both frames have an embedding, their cosine similarity must reach this for the face to
   * continue the track. Consecutive frames of one person score far above it. Two different people
   * in the same place (one steps away, the next steps in) score below it, so the second person
   * starts a new track instead of inheriting the first one's votes.
   */
  minContinuity?: number;
}

export const DEFAULT_MIN_IOU = 0.3;
export const DEFAULT_MAX_CENTRE_SHIFT = 0.5;
export const DEFAULT_MIN_CONTINUITY = 0.4;

export interface TrackedFace {
  readonly id: number;
  readonly startedAtMs: number;
  lastSeenMs: number;
  box: Box;
  /** Embedding of the latest frame that had one. */
  embedding: Float32Array | null;
}

/** Why a track ended. */
export type TrackEnd = 'timeout' | 'max-age' | 'identity-changed';

export interface Assignment<T extends { box: Box; embedding: Float32Array | null }> {
  track: TrackedFace;
  observation: T;
  /** True when this observation opened the track. */
  created: boolean;
}

export interface TrackUpdate<T extends { box: Box; embedding: Float32Array | null }> {
  assignments: Array<Assignment<T>>;
  ended: Array<{ track: TrackedFace; cause: TrackEnd }>;
}

/**
 * Follows faces across frames by box overlap or centre distance, with an embedding check so one
 * place in the picture taken over by another person is not one track. Pure: time comes in as an
 * argument.
 */
export class FaceTracker {
  private readonly tracks = new Map<number, TrackedFace>();
  private nextId = 1;
  private readonly minIou: number;
  private readonly maxCentreShift: number;
  private readonly minContinuity: number;

  constructor(private readonly settings: TrackerSettings) {
    this.minIou = settings.minIou ?? DEFAULT_MIN_IOU;
    this.maxCentreShift = settings.maxCentreShift ?? DEFAULT_MAX_CENTRE_SHIFT;
    this.minContinuity = settings.minContinuity ?? DEFAULT_MIN_CONTINUITY;
  }

  get size(): number {
    return this.tracks.size;
  }

  active(): TrackedFace[] {
    return [...this.tracks.values()];
  }

  /** End the tracks whose face has been gone for trackTimeoutMs or that are older than maxTrackAgeMs. */
  expire(nowMs: number): Array<{ track: TrackedFace; cause: TrackEnd }> {
    const ended: Array<{ track: TrackedFace; cause: TrackEnd }> = [];
    for (const track of this.tracks.values()) {
      if (nowMs - track.lastSeenMs > this.settings.trackTimeoutMs) ended.push({ track, cause: 'timeout' });
      else if (nowMs - track.startedAtMs > this.settings.maxTrackAgeMs) ended.push({ track, cause: 'max-age' });
    }
    for (const { track } of ended) this.tracks.delete(track.id);
    return ended;
  }

  /** Assign each observation of one frame to a track, opening new tracks for faces not seen before. */
  update<T extends { box: Box; embedding: Float32Array | null }>(observations: readonly T[], nowMs: number): TrackUpdate<T> {
    const ended = this.expire(nowMs);
    const candidates: Array<{ track: TrackedFace; index: number; overlap: number; shift: number }> = [];
    const breaks = new Set<number>();

    for (const track of this.tracks.values()) {
      observations.forEach((observation, index) => {
        const overlap = iou(track.box, observation.box);
        const shift = centreShift(track.box, observation.box);
        if (overlap < this.minIou && shift > this.maxCentreShift) return;
        if (track.embedding !== null && observation.embedding !== null) {
          if (cosine(track.embedding, observation.embedding) < this.minContinuity) {
            breaks.add(track.id);
            return;
          }
        }
        candidates.push({ track, index, overlap, shift });
      });
    }

    // Greedy: the best-overlapping pairs first, so two nearby faces do not swap tracks.
    candidates.sort((a, b) => b.overlap - a.overlap || a.shift - b.shift);
    const usedTracks = new Set<number>();
    const usedObservations = new Set<number>();
    const assignments: Array<Assignment<T>> = [];
    for (const candidate of candidates) {
      if (usedTracks.has(candidate.track.id) || usedObservations.has(candidate.index)) continue;
      usedTracks.add(candidate.track.id);
      usedObservations.add(candidate.index);
      const observation = observations[candidate.index]!;
      this.touch(candidate.track, observation, nowMs);
      assignments.push({ track: candidate.track, observation, created: false });
    }

    // A track whose place was taken by a different face ends now, rather than at its timeout.
    for (const id of breaks) {
      const track = this.tracks.get(id);
      if (track === undefined || usedTracks.has(id)) continue;
      this.tracks.delete(id);
      ended.push({ track, cause: 'identity-changed' });
    }

    observations.forEach((observation, index) => {
      if (usedObservations.has(index)) return;
      const track: TrackedFace = { id: this.nextId++, startedAtMs: nowMs, lastSeenMs: nowMs, box: observation.box, embedding: observation.embedding };
      this.tracks.set(track.id, track);
      assignments.push({ track, observation, created: true });
    });
    return { assignments, ended };
  }

  /** End every track, as at the end of the camera input or at shutdown. */
  clear(): TrackedFace[] {
    const all = [...this.tracks.values()];
    this.tracks.clear();
    return all;
  }

  private touch(track: TrackedFace, observation: { box: Box; embedding: Float32Array | null }, nowMs: number): void {
    track.lastSeenMs = nowMs;
    track.box = observation.box;
    if (observation.embedding !== null) track.embedding = observation.embedding;
  }
}

/** Distance between the box centres as a fraction of the mean box side. */
function centreShift(a: Box, b: Box): number {
  const dx = (a.x1 + a.x2) / 2 - (b.x1 + b.x2) / 2;
  const dy = (a.y1 + a.y2) / 2 - (b.y1 + b.y2) / 2;
  const side = (a.x2 - a.x1 + a.y2 - a.y1 + b.x2 - b.x1 + b.y2 - b.y1) / 4;
  return side > 0 ? Math.hypot(dx, dy) / side : Number.POSITIVE_INFINITY;
}

/** Dot product of two L2-normalised vectors; vectors of different length count as unrelated. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -1;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

import { describe, expect, it } from 'vitest';
import { FaceTracker } from './tracker.js';
import { CENTRE_BOX, face, shifted } from './testing.js';

const settings = { trackTimeoutMs: 1_500, maxTrackAgeMs: 15_000 };

describe('FaceTracker', () => {
  it('keeps one track for a face that moves a little', () => {
    const tracker = new FaceTracker(settings);
    const first = tracker.update([face()], 0);
    const second = tracker.update([face({ box: shifted(CENTRE_BOX, 20, 10) })], 66);
    expect(first.assignments[0]!.created).toBe(true);
    expect(second.assignments[0]!.created).toBe(false);
    expect(second.assignments[0]!.track.id).toBe(first.assignments[0]!.track.id);
    expect(tracker.size).toBe(1);
  });

  it('opens a second track for a face elsewhere', () => {
    const tracker = new FaceTracker(settings);
    tracker.update([face()], 0);
    const update = tracker.update([face(), face({ box: shifted(CENTRE_BOX, 250), person: 1 })], 66);
    expect(update.assignments.map((assignment) => assignment.created)).toEqual([false, true]);
    expect(tracker.size).toBe(2);
  });

  it('keeps two faces on their own tracks', () => {
    const tracker = new FaceTracker(settings);
    const left = shifted(CENTRE_BOX, -150);
    const right = shifted(CENTRE_BOX, 150);
    const first = tracker.update([face({ box: left }), face({ box: right, person: 1 })], 0);
    const second = tracker.update([face({ box: shifted(right, 10), person: 1 }), face({ box: shifted(left, -10) })], 66);
    const idOf = (update: typeof first, box: number) => update.assignments.find((a) => a.observation.box.x1 === box)!.track.id;
    expect(idOf(second, right.x1 + 10)).toBe(idOf(first, right.x1));
    expect(idOf(second, left.x1 - 10)).toBe(idOf(first, left.x1));
  });

  it('ends a track after the timeout', () => {
    const tracker = new FaceTracker(settings);
    tracker.update([face()], 0);
    expect(tracker.expire(1_500)).toEqual([]);
    const ended = tracker.expire(1_501);
    expect(ended.map((end) => end.cause)).toEqual(['timeout']);
    expect(tracker.size).toBe(0);
  });

  it('closes a track older than maxTrackAgeMs', () => {
    const tracker = new FaceTracker(settings);
    const first = tracker.update([face()], 0);
    let update = first;
    for (let t = 100; t <= 15_100; t += 100) update = tracker.update([face()], t);
    expect(update.ended.map((end) => end.cause)).toEqual(['max-age']);
    expect(update.assignments[0]!.created).toBe(true);
    expect(update.assignments[0]!.track.id).not.toBe(first.assignments[0]!.track.id);
  });

  it('splits a track when another person takes the place', () => {
    const tracker = new FaceTracker(settings);
    const first = tracker.update([face({ person: 0 })], 0);
    const second = tracker.update([face({ person: 1 })], 66);
    expect(second.ended.map((end) => [end.track.id, end.cause])).toEqual([[first.assignments[0]!.track.id, 'identity-changed']]);
    expect(second.assignments[0]!.created).toBe(true);
  });

  it('follows a face across a blurred frame without embedding', () => {
    const tracker = new FaceTracker(settings);
    const first = tracker.update([face()], 0);
    tracker.update([face({ qualityOk: false })], 66);
    const third = tracker.update([face()], 133);
    expect(third.assignments[0]!.track.id).toBe(first.assignments[0]!.track.id);
  });
});

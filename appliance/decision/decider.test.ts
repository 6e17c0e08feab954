import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../test/support/logs.js';
import { GateDecider } from './decider.js';
import { ambiguous, face, matched, noMatch, type FaceOptions } from './testing.js';
import type { DeciderSettings, GateDecision } from './types.js';

const SETTINGS: DeciderSettings = {
  votesRequired: 3,
  trackTimeoutMs: 1_500,
  maxTrackAgeMs: 15_000,
  debounceMs: 60_000,
  livenessThreshold: 0.5,
  direction: 'in',
};

const FRAME_MS = 66;

function setup(settings: Partial<DeciderSettings> = {}) {
  const logs = captureLogs();
  const decider = new GateDecider({ settings: { ...SETTINGS, ...settings }, logger: logs.logger });
  let now = 1_000;
  const decisions: GateDecision[] = [];
  /** Feed one frame per entry, FRAME_MS apart; an empty entry is a frame without a face. */
  const feed = (...frames: Array<FaceOptions | null>): GateDecision[] => {
    const made: GateDecision[] = [];
    for (const frame of frames) {
      made.push(...decider.observe(frame === null ? [] : [face(frame)], now));
      now += FRAME_MS;
    }
    decisions.push(...made);
    return made;
  };
  const wait = (ms: number) => {
    now += ms;
    decider.expire(now);
  };
  return { decider, feed, wait, logs, decisions, now: () => now };
}

const repeatFrames = (count: number, frame: FaceOptions): FaceOptions[] => Array.from({ length: count }, () => frame);

describe('GateDecider', () => {
  it('grants after votesRequired agreeing votes', () => {
    const { feed } = setup();
    expect(feed(...repeatFrames(2, { identity: matched('W001', 0.62, 0.3) }))).toEqual([]);
    const [decision] = feed({ identity: matched('W001', 0.65, 0.33) });
    expect(decision).toMatchObject({ decision: 'granted', reason: 'match', subjectId: 'W001', repeat: false, votes: 3, frames: 3, direction: 'in' });
    expect(decision!.scores.match).toBeCloseTo(0.63, 4);
    expect(decision!.scores.margin).toBeCloseTo(0.31, 4);
    expect(decision!.scores.liveness).toBeCloseTo(0.95, 4);
  });

  it('decides a track only once', () => {
    const { feed, decisions } = setup();
    feed(...repeatFrames(10, { identity: matched('W001') }));
    expect(decisions).toHaveLength(1);
  });

  it('takes direction from the settings', () => {
    const { feed } = setup({ direction: 'out' });
    expect(feed(...repeatFrames(3, { identity: matched('W001') }))[0]!.direction).toBe('out');
  });

  it('ignores frames that fail the quality gate', () => {
    const { feed, logs } = setup();
    expect(feed(...repeatFrames(6, { qualityOk: false }))).toEqual([]);
    expect(logs.matching(/quality gate failed/)).toHaveLength(6);
    expect(logs.matching(/quality gate failed/)[0]!.trackId).toBe(1);
    expect(feed(...repeatFrames(3, { identity: matched('W001') }))[0]!.decision).toBe('granted');
  });

  it('casts no vote below the liveness threshold', () => {
    const { feed, logs } = setup();
    feed({ identity: matched('W001') }, { identity: matched('W001'), liveness: 0.2 }, { identity: matched('W001') });
    expect(logs.matching(/liveness below threshold/)[0]).toMatchObject({ trackId: 1, liveness: 0.2 });
    const [decision] = feed({ identity: matched('W001') });
    expect(decision).toMatchObject({ decision: 'granted', votes: 3, frames: 4 });
  });

  it('decides spoof when liveness fails on several frames', () => {
    const { feed } = setup();
    const made = feed(...repeatFrames(3, { identity: matched('W001'), liveness: 0.05 }));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ decision: 'spoof', reason: 'liveness-failed', subjectId: null, votes: 3 });
    expect(made[0]!.scores.liveness).toBeCloseTo(0.05, 4);
  });

  it('refuses a print that passes liveness now and then', () => {
    const { feed, decisions } = setup();
    feed(
      { identity: matched('W001'), liveness: 0.6 },
      { identity: matched('W001'), liveness: 0.1 },
      { identity: matched('W001'), liveness: 0.7 },
      { identity: matched('W001'), liveness: 0.1 },
      { identity: matched('W001'), liveness: 0.1 },
      { identity: matched('W001'), liveness: 0.1 },
    );
    expect(decisions.map((decision) => decision.decision)).toEqual(['spoof']);
  });

  it('denies a track whose votes name two subjects', () => {
    const { feed } = setup();
    const made = feed({ identity: matched('W001') }, { identity: matched('W002') }, { identity: matched('W001') });
    expect(made[0]).toMatchObject({ decision: 'denied', reason: 'votes-disagree', subjectId: null, votes: 3 });
  });

  it('denies a look-alike track of ambiguous frames', () => {
    const { feed, logs } = setup();
    const made = feed(...repeatFrames(3, { identity: ambiguous('W001') }));
    expect(made[0]).toMatchObject({ decision: 'denied', reason: 'ambiguous-match', subjectId: null });
    expect(logs.matching(/closer than the minimum margin/)).toHaveLength(3);
  });

  it('holds a grant back while ambiguous frames weigh against it', () => {
    const { feed } = setup();
    // Two frames against need more than four votes: 2 × 2 < votes.
    expect(feed(...repeatFrames(2, { identity: ambiguous('W001') }), ...repeatFrames(4, { identity: matched('W001') }))).toEqual([]);
    expect(feed({ identity: matched('W001') })[0]).toMatchObject({ decision: 'granted', votes: 5 });
  });

  it('decides unknown after enough frames without a match', () => {
    const { feed } = setup();
    expect(feed(...repeatFrames(5, { identity: noMatch(0.12) }))).toEqual([]);
    const [decision] = feed({ identity: noMatch(0.18) });
    expect(decision).toMatchObject({ decision: 'unknown', reason: 'no-match', subjectId: null, votes: 6 });
    expect(decision!.scores.match).toBeCloseTo(0.13, 4);
  });

  it('prefers a late match over an early unknown', () => {
    const { feed } = setup();
    feed(...repeatFrames(4, { identity: noMatch() }));
    expect(feed(...repeatFrames(3, { identity: matched('W001') }))[0]!.decision).toBe('granted');
  });

  it('marks a repeat grant within debounceMs', () => {
    const { feed, wait, logs } = setup({ debounceMs: 60_000 });
    feed(...repeatFrames(3, { identity: matched('W001') }));
    wait(2_000);
    const [repeat] = feed(...repeatFrames(3, { identity: matched('W001') }));
    expect(repeat).toMatchObject({ decision: 'granted', subjectId: 'W001', repeat: true, trackId: 2 });
    expect(logs.matching(/repeat grant within the debounce time/)[0]).toMatchObject({ trackId: 2 });
  });

  it('records the same subject again after debounceMs', () => {
    const { feed, wait } = setup({ debounceMs: 5_000 });
    feed(...repeatFrames(3, { identity: matched('W001') }));
    wait(5_000);
    expect(feed(...repeatFrames(3, { identity: matched('W001') }))[0]!.repeat).toBe(false);
  });

  it('does not debounce another subject', () => {
    const { feed, wait } = setup();
    feed(...repeatFrames(3, { identity: matched('W001') }));
    wait(2_000);
    expect(feed(...repeatFrames(3, { identity: matched('W002'), person: 1 }))[0]).toMatchObject({ subjectId: 'W002', repeat: false });
  });

  it('starts over when the next person steps into the same place', () => {
    const { feed, decisions } = setup();
    feed(...repeatFrames(3, { identity: matched('W001'), person: 0 }));
    feed(...repeatFrames(3, { identity: matched('W002'), person: 1 }));
    expect(decisions.map((decision) => [decision.trackId, decision.subjectId])).toEqual([
      [1, 'W001'],
      [2, 'W002'],
    ]);
  });

  it('decides a loitering face again after maxTrackAgeMs', () => {
    const { feed, decisions } = setup({ maxTrackAgeMs: 2_000, debounceMs: 0 });
    feed(...repeatFrames(40, { identity: matched('W001') }));
    expect(decisions.map((decision) => decision.trackId)).toEqual([1, 2]);
  });

  it('logs a track that ends undecided', () => {
    const { feed, wait, logs } = setup();
    feed({ identity: matched('W001') });
    wait(1_600);
    expect(logs.matching(/track ended undecided/)[0]).toMatchObject({ trackId: 1, cause: 'timeout' });
  });

  it('logs frames of a decided track', () => {
    const { feed, logs } = setup();
    feed(...repeatFrames(4, { identity: matched('W001') }));
    expect(logs.matching(/track already decided/)[0]).toMatchObject({ trackId: 1, decision: 'granted' });
  });

  it('names subjects in logs through describeSubject', () => {
    const logs = captureLogs();
    const decider = new GateDecider({ settings: SETTINGS, logger: logs.logger, describeSubject: (id) => `p-${id.length}` });
    for (let i = 0; i < 3; i++) decider.observe([face({ identity: matched('W001') })], i * FRAME_MS);
    const text = JSON.stringify(logs.lines());
    expect(text).not.toContain('W001');
    expect(text).toContain('p-4');
  });
});

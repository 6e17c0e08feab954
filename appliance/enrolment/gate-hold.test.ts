import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../camera/testing.js';
import type { GateDecision } from '../decision/types.js';
import { GateHold } from './gate-hold.js';

function decision(trackId: number): GateDecision {
  return {
    trackId,
    decision: 'granted',
    reason: 'match',
    subjectId: 'W001',
    scores: { match: 0.8 },
    direction: 'in',
    repeat: false,
    frames: 3,
    votes: 3,
    trackStartedAtMs: 0,
    decidedAtMs: 100,
  };
}

describe('GateHold', () => {
  it('drops decisions while held and after the grace time passes them', () => {
    let now = 0;
    const { logger, lines } = recordingLogger();
    const hold = new GateHold({ logger, graceMs: 3_000, now: () => now });
    const handled: number[] = [];
    const guarded = hold.guard((d: GateDecision, frame: string) => handled.push(d.trackId + frame.length));

    guarded(decision(1), '');
    expect(handled).toEqual([1]);

    const release = hold.acquire('enrolment of W002');
    guarded(decision(2), '');
    expect(handled).toEqual([1]);
    expect(hold.withheld).toBe(1);
    expect(lines.some((line) => line.msg === 'face decision withheld during a kiosk enrolment' && line.trackId === 2)).toBe(true);

    now = 10_000;
    release();
    now = 12_999;
    guarded(decision(3), '');
    expect(handled).toEqual([1]);
    expect(hold.held).toBe(true);

    now = 13_000;
    expect(hold.held).toBe(false);
    guarded(decision(4), 'ab');
    expect(handled).toEqual([1, 6]);
    expect(hold.withheld).toBe(2);
  });

  it('stays held until every holder releases', () => {
    let now = 0;
    const hold = new GateHold({ logger: recordingLogger().logger, graceMs: 0, now: () => now });
    const first = hold.acquire('first');
    const second = hold.acquire('second');
    first();
    first();
    now = 1;
    expect(hold.held).toBe(true);
    second();
    now = 2;
    expect(hold.held).toBe(false);
  });
});

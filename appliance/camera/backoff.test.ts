import { describe, expect, it } from 'vitest';

import { RateMeter, RestartBackoff } from './backoff.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let time = 0;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const SETTINGS = { initialMs: 1_000, maxMs: 30_000, healthyAfterMs: 60_000, maxRestartsPerMinute: 100 };

describe('RestartBackoff', () => {
  it('doubles up to the cap', () => {
    const time = clock();
    const backoff = new RestartBackoff(SETTINGS, time.now);
    const delays = Array.from({ length: 7 }, () => backoff.recordFailure().delayMs);

    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('resets after a healthy run', () => {
    const time = clock();
    const backoff = new RestartBackoff(SETTINGS, time.now);
    backoff.recordFailure();
    backoff.recordFailure();
    const runStartedAt = time.now();
    time.advance(59_000);
    backoff.noteHealthy(runStartedAt);
    expect(backoff.consecutiveFailures).toBe(2);

    time.advance(1_000);
    backoff.noteHealthy(runStartedAt);
    expect(backoff.consecutiveFailures).toBe(0);
    expect(backoff.recordFailure().delayMs).toBe(1_000);
  });

  it('limits launches per minute', () => {
    const time = clock();
    const backoff = new RestartBackoff({ ...SETTINGS, initialMs: 100, maxMs: 100, maxRestartsPerMinute: 3 }, time.now);
    for (let index = 0; index < 3; index += 1) {
      backoff.recordLaunch();
      time.advance(1_000);
    }
    const delay = backoff.recordFailure();

    expect(delay.limited).toBe(true);
    expect(delay.delayMs).toBe(57_000);
  });

  it('rejects inverted settings', () => {
    expect(() => new RestartBackoff({ ...SETTINGS, initialMs: 5_000, maxMs: 1_000 })).toThrow(RangeError);
  });
});

describe('RateMeter', () => {
  it('measures frames per second', () => {
    const time = clock();
    const meter = new RateMeter(5_000, time.now);
    for (let index = 0; index < 11; index += 1) {
      meter.record();
      time.advance(100);
    }
    time.advance(-100);

    expect(meter.rate()).toBeCloseTo(10, 5);
  });

  it('falls to zero after a stall', () => {
    const time = clock();
    const meter = new RateMeter(5_000, time.now);
    meter.record();
    time.advance(100);
    meter.record();
    time.advance(6_000);

    expect(meter.rate()).toBe(0);
  });
});

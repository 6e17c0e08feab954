import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 10, now: () => now });
    let sent = 0;
    while (bucket.tryTake()) sent++;
    expect(sent).toBe(10);
    expect(bucket.msUntilAvailable()).toBe(20);

    // One simulated second at 1 ms steps sends 50 more.
    for (let step = 0; step < 1_000; step++) {
      now += 1;
      while (bucket.tryTake()) sent++;
    }
    expect(sent).toBe(60);
  });

  it('never holds more than the burst', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 3, now: () => now });
    now = 60_000;
    let sent = 0;
    while (bucket.tryTake()) sent++;
    expect(sent).toBe(3);
  });

  it('ignores a clock that steps back', () => {
    let now = 1_000;
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1, now: () => now });
    expect(bucket.tryTake()).toBe(true);
    now = 0;
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.msUntilAvailable()).toBe(100);
  });

  it('rejects a zero or infinite rate', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 5, burst: 0 })).toThrow(RangeError);
  });
});

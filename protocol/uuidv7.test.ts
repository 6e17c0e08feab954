import { describe, expect, it } from 'vitest';
import { Uuidv7Generator, isUuidv7, uuidv7, uuidv7Timestamp } from './uuidv7.js';

describe('uuidv7', () => {
  it('has version 7, the RFC 9562 variant and the current time', () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(isUuidv7(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect('89ab').toContain(id[19]);
    expect(uuidv7Timestamp(id)).toBeGreaterThanOrEqual(before);
    expect(uuidv7Timestamp(id)).toBeLessThanOrEqual(after);
  });

  it('encodes a known timestamp in the first 48 bits', () => {
    // RFC 9562 appendix A.6 uses 0x017F22E279B0 = 1645557742000 ms.
    const id = new Uuidv7Generator({ now: () => 1645557742000 }).next();
    expect(id.startsWith('017f22e2-79b0-7')).toBe(true);
  });

  it('sorts in creation order within one millisecond', () => {
    const generator = new Uuidv7Generator({ now: () => 1_700_000_000_000 });
    const ids = Array.from({ length: 10_000 }, () => generator.next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays monotonic when the clock steps back', () => {
    let now = 1_700_000_000_500;
    const generator = new Uuidv7Generator({ now: () => now });
    const first = generator.next();
    now -= 400;
    const second = generator.next();
    expect(second > first).toBe(true);
    expect(uuidv7Timestamp(second)).toBe(1_700_000_000_500);
  });

  it('moves to the next millisecond when the counter overflows', () => {
    const generator = new Uuidv7Generator({ now: () => 1_000 });
    const first = generator.next();
    // Counting up 2^41 times takes too long for a test, so put the counter at its maximum directly.
    (generator as unknown as { counter: bigint }).counter = (1n << 42n) - 1n;
    const second = generator.next();
    expect(uuidv7Timestamp(first)).toBe(1_000);
    expect(uuidv7Timestamp(second)).toBe(1_001);
    expect(second > first).toBe(true);
    const third = generator.next();
    expect(uuidv7Timestamp(third)).toBe(1_001);
    expect(third > second).toBe(true);
  });

  it('rejects clock values outside 48 bits', () => {
    expect(() => new Uuidv7Generator({ now: () => -1 }).next()).toThrow(RangeError);
    expect(() => new Uuidv7Generator({ now: () => 2 ** 48 }).next()).toThrow(RangeError);
  });

  it('rejects other UUID versions', () => {
    expect(isUuidv7('0f7e4c1a-1b2c-4d3e-8f90-123456789abc')).toBe(false);
    expect(isUuidv7('017F22E2-79B0-7CC3-98C4-DC0C0C07398F')).toBe(false);
    expect(() => uuidv7Timestamp('nope')).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles the ceiling from 1 s up to 60 s', () => {
    const backoff = new Backoff({ random: () => 0.5 });
    const ceilings: number[] = [];
    for (let i = 0; i < 9; i++) {
      ceilings.push(backoff.ceiling());
      backoff.next();
    }
    expect(ceilings).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('keeps every delay within [0, ceiling) for random values at the edges', () => {
    for (const value of [0, 1e-12, 0.25, 0.5, 0.999999999, 1, 1.5, -0.5, Number.NaN]) {
      const backoff = new Backoff({ baseMs: 1_000, maxMs: 60_000, random: () => value });
      for (let i = 0; i < 20; i++) {
        const ceiling = backoff.ceiling();
        const delay = backoff.next();
        expect(delay, `random ${value}, attempt ${i}`).toBeGreaterThanOrEqual(0);
        expect(delay, `random ${value}, attempt ${i}`).toBeLessThan(ceiling);
      }
    }
  });

  it('scales the delay with the random value (full jitter)', () => {
    const draws = [0, 0.5, 0.999];
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 60_000, random: () => draws.shift()! });
    expect(backoff.next()).toBe(0);
    expect(backoff.next()).toBe(1_000); // 0.5 of the 2 s ceiling
    expect(backoff.next()).toBe(3_996); // 0.999 of the 4 s ceiling
  });

  it('stays bounded after many failures', () => {
    const backoff = new Backoff({ random: () => 0.9999 });
    for (let i = 0; i < 2_000; i++) backoff.next();
    expect(backoff.ceiling()).toBe(60_000);
    expect(backoff.next()).toBeLessThan(60_000);
  });

  it('returns to the base after reset', () => {
    const backoff = new Backoff({ baseMs: 50, maxMs: 800, random: () => 0.5 });
    for (let i = 0; i < 6; i++) backoff.next();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.ceiling()).toBe(50);
  });

  it('gives the full maximum on request', () => {
    const backoff = new Backoff({ baseMs: 50, maxMs: 800, random: () => 0 });
    expect(backoff.maximum()).toBe(800);
  });

  it('rejects impossible settings', () => {
    expect(() => new Backoff({ baseMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ baseMs: 2_000, maxMs: 1_000 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { cosine, lowestPairScore, meanTemplate } from './template.js';

describe('meanTemplate', () => {
  it('returns the normalised mean', () => {
    const template = meanTemplate([Float32Array.of(1, 0, 0), Float32Array.of(0, 1, 0)]);
    expect(Array.from(template)).toEqual([Math.fround(Math.SQRT1_2), Math.fround(Math.SQRT1_2), 0]);
  });

  it('rejects an empty list and mixed lengths', () => {
    expect(() => meanTemplate([])).toThrow(RangeError);
    expect(() => meanTemplate([Float32Array.of(1, 0), Float32Array.of(1, 0, 0)])).toThrow(/one length/);
  });

  it('rejects embeddings that cancel out', () => {
    expect(() => meanTemplate([Float32Array.of(1, 0), Float32Array.of(-1, 0)])).toThrow(/no direction/);
  });
});

describe('lowestPairScore', () => {
  it('finds the least similar pair', () => {
    const a = Float32Array.of(1, 0);
    const b = Float32Array.of(1, 1);
    const c = Float32Array.of(0, 1);
    expect(lowestPairScore([a, b, c])).toBeCloseTo(cosine(a, c), 6);
    expect(lowestPairScore([a, b])).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('is 1 for fewer than two', () => {
    expect(lowestPairScore([Float32Array.of(1, 0)])).toBe(1);
  });
});

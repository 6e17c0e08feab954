import { describe, expect, it } from 'vitest';

import { closestMatch, levenshtein } from './suggest.js';

describe('levenshtein', () => {
  it('counts edits', () => {
    expect(levenshtein('pulseMs', 'pulseMs')).toBe(0);
    expect(levenshtein('pulsMs', 'pulseMs')).toBe(1);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
  });
});

describe('closestMatch', () => {
  const keys = ['line', 'activeLow', 'pulseMs'];

  it('finds typos and case slips', () => {
    expect(closestMatch('pulsems', keys)).toBe('pulseMs');
    expect(closestMatch('actveLow', keys)).toBe('activeLow');
    expect(closestMatch('lin', keys)).toBe('line');
  });

  it('finds a shortened or lengthened key', () => {
    expect(closestMatch('maxYaw', ['maxYawDeg', 'maxPitchDeg'])).toBe('maxYawDeg');
    expect(closestMatch('loggin', ['device', 'log'])).toBe('log');
  });

  it('returns nothing for unrelated words', () => {
    expect(closestMatch('colour', keys)).toBeUndefined();
    expect(closestMatch('x', keys)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';

import type { SubjectMatch } from '../gallery/matcher.js';
import { decideIdentity } from './decide.js';

const match = (subjectId: string, score: number): SubjectMatch => ({ subjectId, templateId: `${subjectId}-t1`, score });

describe('decideIdentity', () => {
  it('matches at the threshold with a lead', () => {
    const outcome = decideIdentity([match('alice', 0.4), match('bob', 0.2)], 0.4, 0.05);
    expect(outcome.decision).toBe('match');
    expect(outcome.best?.subjectId).toBe('alice');
    expect(outcome.second?.subjectId).toBe('bob');
    expect(outcome.margin).toBeCloseTo(0.2, 12);
    expect(outcome.threshold).toBe(0.4);
  });

  it('returns unknown below the threshold', () => {
    const outcome = decideIdentity([match('alice', 0.39), match('bob', 0.1)], 0.4, 0.05);
    expect(outcome.decision).toBe('unknown');
    expect(outcome.best?.subjectId).toBe('alice');
    expect(outcome.margin).toBeUndefined();
  });

  it('returns unknown for an empty gallery', () => {
    const outcome = decideIdentity([], 0.4, 0.05);
    expect(outcome.decision).toBe('unknown');
    expect(outcome.best).toBeUndefined();
    expect(outcome.second).toBeUndefined();
  });

  it('returns ambiguous for close subjects', () => {
    const outcome = decideIdentity([match('alice', 0.62), match('bob', 0.6)], 0.4, 0.05);
    expect(outcome.decision).toBe('ambiguous');
    expect(outcome.margin).toBeCloseTo(0.02, 12);
  });

  it('accepts a lead equal to the margin', () => {
    expect(decideIdentity([match('alice', 0.75), match('bob', 0.5)], 0.4, 0.25).decision).toBe('match');
  });

  it('uses the score as margin for one subject', () => {
    const outcome = decideIdentity([match('alice', 0.5)], 0.4, 0.05);
    expect(outcome.decision).toBe('match');
    expect(outcome.margin).toBe(0.5);
  });
});

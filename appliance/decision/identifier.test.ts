import { describe, expect, it } from 'vitest';
import { Calibration, createCalibrationFile } from '../gallery/calibration.js';
import { Matcher } from '../gallery/matcher.js';
import { randomUnitVector, seededRandom } from '../gallery/random-vectors.js';
import { Identifier } from './identifier.js';

const DIMENSION = 64;

function calibration(): Calibration {
  // Impostor scores spread evenly over [-0.5, 0.5): the top 1 % lies above 0.49.
  const scores = Array.from({ length: 10_000 }, (_, i) => -0.5 + i / 10_000);
  return new Calibration(createCalibrationFile(scores, { modelVersion: 'test', source: 'uniform' }));
}

function mix(a: Float32Array, b: Float32Array, weight: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! * weight + b[i]! * (1 - weight);
  return out;
}

describe('Identifier', () => {
  const random = seededRandom(7);
  const alice = randomUnitVector(random, DIMENSION);
  const bob = randomUnitVector(random, DIMENSION);
  const stranger = randomUnitVector(random, DIMENSION);
  const matcher = new Matcher({ dimension: DIMENSION });
  matcher.add({ subjectId: 'alice', templateId: 'a1', embedding: alice });
  matcher.add({ subjectId: 'bob', templateId: 'b1', embedding: bob });
  const identifier = new Identifier({ matcher, calibration: calibration(), targetFpir: 0.01, minMargin: 0.05 });

  it('uses the threshold for the gallery size', () => {
    expect(identifier.threshold()).toBeCloseTo(calibration().thresholdFor(2, 0.01).threshold, 6);
    expect(identifier.threshold()).toBeGreaterThan(0.49);
  });

  it('matches an enrolled face', () => {
    const outcome = identifier.identify(alice);
    expect(outcome.decision).toBe('match');
    expect(outcome.best?.subjectId).toBe('alice');
  });

  it('returns unknown for a stranger', () => {
    expect(identifier.identify(stranger).decision).toBe('unknown');
  });

  it('returns ambiguous between two look-alikes', () => {
    expect(identifier.identify(mix(alice, bob, 0.5)).decision).toBe('ambiguous');
  });

  it('returns unknown on an empty gallery', () => {
    const empty = new Identifier({ matcher: new Matcher({ dimension: DIMENSION }), calibration: calibration(), targetFpir: 0.01, minMargin: 0.05 });
    expect(empty.identify(alice)).toMatchObject({ decision: 'unknown', best: undefined });
  });
});

describe('Identifier.replaceMatcher', () => {
  it('searches the new gallery at once', () => {
    const random = seededRandom(11);
    const carol = randomUnitVector(random, DIMENSION);
    const dave = randomUnitVector(random, DIMENSION);
    const before = new Matcher({ dimension: DIMENSION });
    before.add({ subjectId: 'carol', templateId: 'c1', embedding: carol });
    const identifier = new Identifier({ matcher: before, calibration: calibration(), targetFpir: 0.01, minMargin: 0.05 });
    expect(identifier.identify(dave).decision).toBe('unknown');
    const thresholdForOne = identifier.threshold();

    const after = new Matcher({ dimension: DIMENSION });
    after.add({ subjectId: 'dave', templateId: 'd1', embedding: dave });
    after.add({ subjectId: 'dave', templateId: 'd2', embedding: dave });
    identifier.replaceMatcher(after);

    expect(identifier.identify(dave).best?.subjectId).toBe('dave');
    expect(identifier.identify(carol).decision).toBe('unknown');
    expect(identifier.gallerySize).toBe(2);
    expect(identifier.threshold()).toBeGreaterThan(thresholdForOne);
  });
});

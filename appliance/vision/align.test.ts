import { describe, expect, it } from 'vitest';

import { ARCFACE_TEMPLATE, alignmentTransform, estimateSimilarity } from './align.js';
import type { Point } from './image.js';
import { applyAffine, invertAffine, type Affine } from './sample.js';

/** Build the forward similarity that scales, rotates by `degrees` (counter-clockwise with y up) and translates. */
function similarity(scale: number, degrees: number, tx: number, ty: number): Affine {
  const angle = (degrees * Math.PI) / 180;
  const a = scale * Math.cos(angle);
  const b = scale * Math.sin(angle);
  return [a, -b, tx, b, a, ty];
}

function transform(m: Affine, points: readonly Point[]): Point[] {
  return points.map((p) => {
    const [x, y] = applyAffine(m, p.x, p.y);
    return { x, y };
  });
}

function sumSquaredResiduals(m: Affine, src: readonly Point[], dst: readonly Point[]): number {
  let sum = 0;
  src.forEach((p, i) => {
    const [x, y] = applyAffine(m, p.x, p.y);
    sum += (x - dst[i]!.x) ** 2 + (y - dst[i]!.y) ** 2;
  });
  return sum;
}

/** Return a generator of deterministic pseudo-random numbers in [-1, 1), from a linear congruential generator. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

// Five points of a face in a 250x250 photo, roughly where the landmark model puts them.
const FACE: Point[] = [
  { x: 104.2, y: 112.7 },
  { x: 146.9, y: 110.3 },
  { x: 127.5, y: 138.1 },
  { x: 109.8, y: 161.4 },
  { x: 143.3, y: 160.2 },
];

describe('estimateSimilarity', () => {
  const cases: Array<[string, Affine]> = [
    ['identity', similarity(1, 0, 0, 0)],
    ['scale and shift', similarity(0.45, 0, -12.5, 30)],
    ['rotation of 30 degrees', similarity(1.7, 30, 4, -9)],
    ['rotation of -135 degrees', similarity(0.8, -135, 200, 75)],
    ['upside down', similarity(2.2, 180, 10, 10)],
  ];

  for (const [name, truth] of cases) {
    it(`recovers ${name} exactly`, () => {
      const estimate = estimateSimilarity(FACE, transform(truth, FACE));
      for (let i = 0; i < 6; i++) expect(estimate[i]).toBeCloseTo(truth[i]!, 9);
    });
  }

  it('returns the least-squares fit under noise', () => {
    const truth = similarity(0.9, 12, 15, -20);
    const random = noise(7);
    const dst = transform(truth, FACE).map((p) => ({ x: p.x + 2 * random(), y: p.y + 2 * random() }));
    const estimate = estimateSimilarity(FACE, dst);
    const best = sumSquaredResiduals(estimate, FACE, dst);

    // A similarity has four free parameters (a, b, tx, ty); a nudge of any of them must not fit better.
    const [a, , tx, b, , ty] = estimate;
    const nudges: Array<[number, number, number, number]> = [
      [1e-4, 0, 0, 0], [-1e-4, 0, 0, 0],
      [0, 1e-4, 0, 0], [0, -1e-4, 0, 0],
      [0, 0, 1e-2, 0], [0, 0, -1e-2, 0],
      [0, 0, 0, 1e-2], [0, 0, 0, -1e-2],
    ];
    for (const [da, db, dx, dy] of nudges) {
      const nudged: Affine = [a + da, -(b + db), tx + dx, b + db, a + da, ty + dy];
      expect(sumSquaredResiduals(nudged, FACE, dst)).toBeGreaterThan(best);
    }
    // The true transform is one candidate, so the least-squares fit cannot do worse than it.
    expect(best).toBeLessThanOrEqual(sumSquaredResiduals(truth, FACE, dst));
  });

  it('never returns a reflection', () => {
    const mirrored = FACE.map((p) => ({ x: 250 - p.x, y: p.y }));
    const [a, b, , d, e] = estimateSimilarity(FACE, mirrored);
    expect(a * e - b * d).toBeGreaterThan(0);
  });

  it('rejects mismatched or degenerate points', () => {
    expect(() => estimateSimilarity(FACE, FACE.slice(0, 4))).toThrow(RangeError);
    expect(() => estimateSimilarity(FACE.slice(0, 1), FACE.slice(0, 1))).toThrow(RangeError);
    const same = [{ x: 5, y: 5 }, { x: 5, y: 5 }, { x: 5, y: 5 }];
    expect(() => estimateSimilarity(same, FACE.slice(0, 3))).toThrow(/coincide/);
  });
});

describe('alignmentTransform', () => {
  it('maps the template onto itself with the identity', () => {
    const m = alignmentTransform(ARCFACE_TEMPLATE);
    const identity = [1, 0, 0, 0, 1, 0];
    for (let i = 0; i < 6; i++) expect(m[i]).toBeCloseTo(identity[i]!, 9);
  });

  it('aligns a transformed template', () => {
    const inPhoto = transform(similarity(2.3, -20, 60, 45), ARCFACE_TEMPLATE);
    const aligned = transform(alignmentTransform(inPhoto), inPhoto);
    aligned.forEach((p, i) => {
      expect(p.x).toBeCloseTo(ARCFACE_TEMPLATE[i]!.x, 6);
      expect(p.y).toBeCloseTo(ARCFACE_TEMPLATE[i]!.y, 6);
    });
  });
});

describe('invertAffine and applyAffine', () => {
  it('round-trip points through a general affine', () => {
    const m: Affine = [1.3, 0.4, -7, -0.2, 0.9, 12];
    const inverse = invertAffine(m);
    for (const [x, y] of [[0, 0], [10, -3], [249.5, 0.25], [-40, 300]] as const) {
      const [u, v] = applyAffine(m, x, y);
      const [bx, by] = applyAffine(inverse, u, v);
      expect(bx).toBeCloseTo(x, 10);
      expect(by).toBeCloseTo(y, 10);
    }
  });

  it('inverts twice back to the original', () => {
    const m = similarity(0.37, 77, 3, 4);
    const twice = invertAffine(invertAffine(m));
    for (let i = 0; i < 6; i++) expect(twice[i]).toBeCloseTo(m[i]!, 10);
  });

  it('applies scale, rotation, then shift', () => {
    // Rotating (1, 0) by 90 degrees gives (0, 1); scaled by 2 and shifted by (5, 6) it lands on (5, 8).
    const [x, y] = applyAffine(similarity(2, 90, 5, 6), 1, 0);
    expect(x).toBeCloseTo(5, 12);
    expect(y).toBeCloseTo(8, 12);
  });

  it('rejects a singular matrix', () => {
    expect(() => invertAffine([1, 2, 0, 2, 4, 0])).toThrow(/singular/);
  });
});

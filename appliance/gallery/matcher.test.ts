import { describe, expect, it } from 'vitest';

import { FacegateError } from '../common/errors.js';
import { Matcher, type MatcherTemplate, type SubjectMatch } from './matcher.js';
import { QuantisedIndex } from './quantised-index.js';
import { gaussian, perturbedUnitVector, randomUnitVector, seededRandom } from './random-vectors.js';
import { createInt8DotKernel, createWasmMemory, int8DotModuleBytes } from './wasm-dot-kernel.js';

const KERNELS = ['wasm-int8', 'js-float32'] as const;

const normalisedCache = new WeakMap<Float32Array, Float64Array>();

function normalised(vector: Float32Array): Float64Array {
  let cached = normalisedCache.get(vector);
  if (cached === undefined) {
    let sumOfSquares = 0;
    for (const value of vector) sumOfSquares += value * value;
    const norm = Math.sqrt(sumOfSquares);
    cached = Float64Array.from(vector, (value) => value / norm);
    normalisedCache.set(vector, cached);
  }
  return cached;
}

/** Brute-force reference: normalise in float64, score every template, keep each subject's best, sort. */
function referenceTopTwo(templates: MatcherTemplate[], query: Float32Array, excludeSubjectId?: string): SubjectMatch[] {
  const unitQuery = normalised(query);
  const best = new Map<string, SubjectMatch>();
  for (const template of templates) {
    if (template.subjectId === excludeSubjectId) continue;
    const unitTemplate = normalised(template.embedding);
    let dot = 0;
    for (let i = 0; i < unitQuery.length; i++) dot += unitTemplate[i]! * unitQuery[i]!;
    const current = best.get(template.subjectId);
    if (current === undefined || dot > current.score) best.set(template.subjectId, { subjectId: template.subjectId, templateId: template.templateId, score: dot });
  }
  return [...best.values()].sort((a, b) => b.score - a.score).slice(0, 2);
}

function makeTemplates(count: number, subjects: number, dimension: number, seed: number): MatcherTemplate[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => ({
    subjectId: `S${index % subjects}`,
    templateId: `T${index}`,
    // Unnormalised on purpose: the matcher must normalise what it stores.
    embedding: randomUnitVector(random, dimension).map((value) => value * (0.5 + random())),
  }));
}

function makeQueries(templates: MatcherTemplate[], count: number, seed: number): Float32Array[] {
  const random = seededRandom(seed);
  const dimension = templates[0]!.embedding.length;
  return Array.from({ length: count }, (_, index) => {
    if (index % 2 === 0) return randomUnitVector(random, dimension);
    const base = templates[Math.floor(random() * templates.length)]!.embedding;
    return perturbedUnitVector(random, Float32Array.from(normalised(base)), 0.8);
  });
}

/** Compare subjects and scores; when two scores tie within rounding, either order is right. */
function expectSameMatches(actual: SubjectMatch[], expected: SubjectMatch[]): void {
  expect(actual.map((match) => match.score)).toHaveLength(expected.length);
  actual.forEach((match, index) => {
    expect(match.score).toBeCloseTo(expected[index]!.score, 5);
  });
  if (expected.length === 2 && Math.abs(expected[0]!.score - expected[1]!.score) < 1e-6) return;
  expect(actual.map((match) => [match.subjectId, match.templateId])).toEqual(expected.map((match) => [match.subjectId, match.templateId]));
}

describe('int8 dot kernel', () => {
  it('is valid WebAssembly with SIMD', () => {
    expect((globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly.validate(int8DotModuleBytes())).toBe(true);
  });

  it('computes exact integer dot products', () => {
    const memory = createWasmMemory();
    const kernel = createInt8DotKernel(memory)!;
    const stride = 128;
    const count = 37;
    memory.grow(1);
    const rows = new Int8Array(memory.buffer, 0, count * stride);
    const query = new Int16Array(memory.buffer, count * stride, stride);
    const out = new Int32Array(memory.buffer, count * stride + stride * 2, count);
    const random = seededRandom(7);
    for (let i = 0; i < rows.length; i++) rows[i] = Math.round(random() * 254) - 127;
    for (let i = 0; i < query.length; i++) query[i] = Math.round(random() * 254) - 127;
    rows.fill(127, 0, stride);
    query.fill(127);
    rows.fill(-127, stride, 2 * stride);

    kernel(0, count, stride, count * stride, count * stride + stride * 2);

    for (let r = 0; r < count; r++) {
      let expected = 0;
      for (let i = 0; i < stride; i++) expected += rows[r * stride + i]! * query[i]!;
      expect(out[r], `row ${r}`).toBe(expected);
    }
    expect(out[0]).toBe(127 * 127 * stride);
    expect(out[1]).toBe(-127 * 127 * stride);
  });

  it('leaves output untouched for zero rows', () => {
    const memory = createWasmMemory();
    const kernel = createInt8DotKernel(memory)!;
    const out = new Int32Array(memory.buffer, 1024, 4);
    out.fill(42);
    kernel(0, 0, 64, 512, 1024);
    expect([...out]).toEqual([42, 42, 42, 42]);
  });

  it('pre-scan keeps few rows of random data', () => {
    const dimension = 512;
    const count = 5000;
    const index = QuantisedIndex.create(dimension, count)!;
    const random = seededRandom(11);
    const subjects = new Int32Array(count);
    for (let r = 0; r < count; r++) {
      index.set(r, randomUnitVector(random, dimension), 0);
      subjects[r] = r % 1000;
    }
    const candidates = index.candidateRows(randomUnitVector(random, dimension), count, subjects);
    // The speed of the matcher rests on this: the exact pass must touch a small fraction of rows.
    expect(candidates.length).toBeGreaterThanOrEqual(2);
    expect(candidates.length).toBeLessThan(count / 20);
  });
});

describe.each(KERNELS)('Matcher with %s', (kernel) => {
  it('reports its kernel', () => {
    expect(new Matcher({ kernel }).kernel).toBe(kernel);
  });

  it('matches the brute-force top two', () => {
    const templates = makeTemplates(3000, 600, 512, 1);
    const matcher = Matcher.fromTemplates(templates, { kernel, initialCapacity: 16 });

    expect(matcher.size).toBe(3000);
    expect(matcher.subjectCount).toBe(600);
    for (const query of makeQueries(templates, 40, 2)) {
      expectSameMatches(matcher.search(query), referenceTopTwo(templates, query));
    }
  });

  it('handles a dimension that is not a multiple of 64', () => {
    const templates = makeTemplates(500, 50, 100, 3);
    const matcher = Matcher.fromTemplates(templates, { kernel, dimension: 100, initialCapacity: 3 });

    for (const query of makeQueries(templates, 20, 4)) {
      expectSameMatches(matcher.search(query), referenceTopTwo(templates, query));
    }
  });

  it('finds the second subject behind many near-duplicates', () => {
    // One subject with 300 templates all close to the query would crowd a plain top-k list.
    const random = seededRandom(5);
    const query = randomUnitVector(random, 512);
    const templates: MatcherTemplate[] = Array.from({ length: 300 }, (_, index) => ({
      subjectId: 'crowd',
      templateId: `crowd-${index}`,
      embedding: perturbedUnitVector(random, query, 0.05 + 0.001 * index),
    }));
    templates.push({ subjectId: 'runner-up', templateId: 'runner-up-0', embedding: perturbedUnitVector(random, query, 1.5) });
    for (let index = 0; index < 500; index++) {
      templates.push({ subjectId: `other-${index}`, templateId: `other-${index}`, embedding: randomUnitVector(random, 512) });
    }
    const matcher = Matcher.fromTemplates(templates, { kernel });

    const matches = matcher.search(query);

    expect(matches.map((match) => match.subjectId)).toEqual(['crowd', 'runner-up']);
    expectSameMatches(matches, referenceTopTwo(templates, query));
  });

  it('separates near-tied subjects correctly', () => {
    // Scores closer together than the int8 error bound must still come out in exact order.
    const random = seededRandom(6);
    const query = randomUnitVector(random, 512);
    const templates: MatcherTemplate[] = [];
    for (let index = 0; index < 40; index++) {
      templates.push({ subjectId: `near-${index}`, templateId: `near-${index}`, embedding: perturbedUnitVector(random, query, 1 + index * 1e-4) });
    }
    const matcher = Matcher.fromTemplates(templates, { kernel });

    for (let trial = 0; trial < 10; trial++) {
      const probe = perturbedUnitVector(random, query, 0.01);
      expectSameMatches(matcher.search(probe), referenceTopTwo(templates, probe));
    }
  });

  it('returns one match for one subject and none when empty', () => {
    const matcher = new Matcher({ kernel, dimension: 64 });
    const random = seededRandom(8);
    expect(matcher.search(randomUnitVector(random, 64))).toEqual([]);

    matcher.add({ subjectId: 'solo', templateId: 'a', embedding: randomUnitVector(random, 64) });
    matcher.add({ subjectId: 'solo', templateId: 'b', embedding: randomUnitVector(random, 64) });
    const matches = matcher.search(randomUnitVector(random, 64));

    expect(matches).toHaveLength(1);
    expect(matches[0]!.subjectId).toBe('solo');
  });

  it('scores an enrolled template at cosine 1', () => {
    const templates = makeTemplates(200, 40, 512, 9);
    const matcher = Matcher.fromTemplates(templates, { kernel });

    const [best] = matcher.search(templates[123]!.embedding);

    expect(best?.templateId).toBe('T123');
    expect(best?.score).toBeCloseTo(1, 6);
  });

  it('removes a subject by swapping in the last row', () => {
    const templates = makeTemplates(1000, 100, 512, 10);
    const matcher = Matcher.fromTemplates(templates, { kernel, initialCapacity: 8 });

    expect(matcher.removeSubject('S7')).toBe(10);
    expect(matcher.removeSubject('S99')).toBe(10);
    expect(matcher.removeSubject('S7')).toBe(0);
    expect(matcher.removeSubject('never-enrolled')).toBe(0);

    const remaining = templates.filter((template) => template.subjectId !== 'S7' && template.subjectId !== 'S99');
    expect(matcher.size).toBe(980);
    expect(matcher.subjectCount).toBe(98);
    for (const query of [...makeQueries(templates, 20, 11), templates[7]!.embedding, templates[99]!.embedding]) {
      const matches = matcher.search(query);
      expect(matches.some((match) => match.subjectId === 'S7' || match.subjectId === 'S99')).toBe(false);
      expectSameMatches(matches, referenceTopTwo(remaining, query));
    }
  });

  it('adds a subject again after removal', () => {
    const templates = makeTemplates(300, 30, 512, 12);
    const matcher = Matcher.fromTemplates(templates, { kernel });
    matcher.removeSubject('S3');
    const returning = { subjectId: 'S3', templateId: 'new', embedding: randomUnitVector(seededRandom(13), 512) };
    matcher.add(returning);

    expect(matcher.search(returning.embedding)[0]).toMatchObject({ subjectId: 'S3', templateId: 'new' });
    expect(matcher.size).toBe(291);
  });

  it('removes every subject', () => {
    const templates = makeTemplates(50, 5, 512, 14);
    const matcher = Matcher.fromTemplates(templates, { kernel });
    for (let subject = 0; subject < 5; subject++) matcher.removeSubject(`S${subject}`);

    expect(matcher.size).toBe(0);
    expect(matcher.search(templates[0]!.embedding)).toEqual([]);
  });

  it('finds the nearest other subject', () => {
    const templates = makeTemplates(800, 80, 512, 15);
    const matcher = Matcher.fromTemplates(templates, { kernel });
    const probe = templates[42]!;

    const nearest = matcher.nearestOtherSubject(probe.embedding, probe.subjectId);
    const expected = referenceTopTwo(templates, probe.embedding, probe.subjectId)[0]!;

    expect(nearest?.subjectId).toBe(expected.subjectId);
    expect(nearest?.score).toBeCloseTo(expected.score, 5);
    expect(matcher.nearestOtherSubject(randomUnitVector(seededRandom(16), 512), 'not-there')?.subjectId).toBe(
      matcher.search(randomUnitVector(seededRandom(16), 512))[0]!.subjectId,
    );
  });

  it('rejects a query of the wrong length or with NaN', () => {
    const matcher = Matcher.fromTemplates(makeTemplates(10, 2, 512, 17), { kernel });
    const withNaN = randomUnitVector(seededRandom(18), 512);
    withNaN[3] = Number.NaN;

    for (const query of [new Float32Array(511), withNaN, new Float32Array(512)]) {
      expect(() => matcher.search(query)).toThrow(FacegateError);
    }
    expect(() => matcher.add({ subjectId: 'x', templateId: 'y', embedding: new Float32Array(3) })).toThrow(/has 3 values, expected 512/);
  });
});

describe('Matcher storage', () => {
  it('doubles its storage when full', () => {
    const matcher = new Matcher({ kernel: 'js-float32', initialCapacity: 4 });
    const random = seededRandom(19);
    expect(matcher.bytes.vectors).toBe(4 * 512 * 4);
    for (let i = 0; i < 5; i++) matcher.add({ subjectId: `S${i}`, templateId: `T${i}`, embedding: randomUnitVector(random, 512) });
    expect(matcher.bytes.vectors).toBe(8 * 512 * 4);
  });

  it('gives both kernels the same answers on skewed data', () => {
    // Embeddings with a few large components stress the int8 scale of each row.
    const random = seededRandom(20);
    const templates: MatcherTemplate[] = Array.from({ length: 400 }, (_, index) => {
      const embedding = randomUnitVector(random, 512);
      for (let spike = 0; spike < 3; spike++) embedding[Math.floor(random() * 512)] = 4 * gaussian(random);
      return { subjectId: `S${index % 90}`, templateId: `T${index}`, embedding };
    });
    const wasm = Matcher.fromTemplates(templates, { kernel: 'wasm-int8' });
    const js = Matcher.fromTemplates(templates, { kernel: 'js-float32' });

    for (const query of makeQueries(templates, 30, 21)) {
      const expected = js.search(query);
      expectSameMatches(wasm.search(query), expected);
      expectSameMatches(expected, referenceTopTwo(templates, query));
    }
  });
});

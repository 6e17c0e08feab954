import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { spoofSamples, type SpoofSample } from '../../test/helpers/faces.js';
import { decodeImageFile } from './decode.js';
import { LIVENESS_CONTEXT, livenessCrop } from './liveness.js';
import { FacePipeline } from './pipeline.js';

const LIVE_THRESHOLD = 0.5;

describe('livenessCrop', () => {
  it('enlarges the box 2.7 times', () => {
    const crop = livenessCrop({ x1: 450, y1: 440, x2: 530, y2: 540 }, 1000, 1000);
    expect(crop.w).toBeCloseTo(100 * LIVENESS_CONTEXT, 9);
    expect(crop.h).toBeCloseTo(100 * LIVENESS_CONTEXT, 9);
    expect(crop.x + crop.w / 2).toBeCloseTo(490, 9);
    expect(crop.y + crop.h / 2).toBeCloseTo(490, 9);
  });

  it('shifts the crop to stay inside the image', () => {
    const crop = livenessCrop({ x1: 0, y1: 0, x2: 100, y2: 100 }, 1000, 800);
    expect(crop.x).toBe(0);
    expect(crop.y).toBe(0);
    const corner = livenessCrop({ x1: 900, y1: 700, x2: 1000, y2: 800 }, 1000, 800);
    expect(corner.x + corner.w).toBeCloseTo(999, 9);
    expect(corner.y + corner.h).toBeCloseTo(799, 9);
  });

  it('shrinks context for small images', () => {
    // A 130 px face in a 250x250 photo needs 351 px at 2.7 times, so the crop is the whole photo.
    const crop = livenessCrop({ x1: 60, y1: 50, x2: 180, y2: 180 }, 250, 250);
    expect(crop.w).toBeCloseTo(249, 9);
    expect(crop.x).toBeCloseTo(0, 9);
    expect(crop.y).toBeCloseTo(0, 9);
  });
});

describe('liveness on the spoof samples', () => {
  let pipeline: FacePipeline;
  const scores = new Map<SpoofSample, number>();
  const samples = spoofSamples();

  beforeAll(async () => {
    pipeline = await FacePipeline.create({}, silentLogger());
    for (const sample of samples) {
      const result = await pipeline.analyse(await decodeImageFile(sample.file), { maxFaces: 1 });
      expect(result.detections, `${sample.file} shows one face`).toHaveLength(1);
      scores.set(sample, result.faces[0]!.liveness!);
    }
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const describeScores = (): string => [...scores].map(([s, score]) => `${s.label}/${s.attackType} ${s.file}: ${score.toFixed(3)}`).join('\n');

  it('covers live, print and replay samples', () => {
    const types = new Set(samples.map((sample) => sample.attackType));
    expect(types).toEqual(new Set(['live', 'print', 'replay']));
    expect(samples.every((sample) => (sample.label === 'real') === (sample.attackType === 'live'))).toBe(true);
  });

  it('passes every live sample', () => {
    for (const [sample, score] of scores) {
      if (sample.label === 'real') expect(score, describeScores()).toBeGreaterThanOrEqual(LIVE_THRESHOLD);
    }
  });

  it('fails every print and replay sample', () => {
    for (const [sample, score] of scores) {
      if (sample.label === 'attack') expect(score, describeScores()).toBeLessThan(LIVE_THRESHOLD);
    }
  });

  it('separates classes with a margin', () => {
    const live = [...scores].filter(([sample]) => sample.label === 'real').map(([, score]) => score);
    const attack = [...scores].filter(([sample]) => sample.label === 'attack').map(([, score]) => score);
    // Measured when written: lowest live score 0.72, highest attack score 0.09.
    expect(Math.min(...live) - Math.max(...attack), describeScores()).toBeGreaterThan(0.3);
  });
});

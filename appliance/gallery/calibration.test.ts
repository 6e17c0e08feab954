import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  buildImpostorTail,
  Calibration,
  CALIBRATION_FORMAT,
  comparisonFmrFor,
  createCalibrationFile,
  loadCalibration,
  saveCalibration,
  thresholdFromTail,
  type CalibrationFile,
} from './calibration.js';
import { gaussian, seededRandom } from './random-vectors.js';
import { captureFacegateError } from './test-helpers.js';

/** Complementary error function, Numerical Recipes erfcc (fractional error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -z * z - 1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

/** Score s with P(X >= s) = tail for X ~ N(mean, sd^2), by bisection on the upper tail. */
function gaussianUpperQuantile(tail: number, mean: number, sd: number): number {
  let low = -10;
  let high = 10;
  for (let i = 0; i < 200; i++) {
    const middle = (low + high) / 2;
    if (0.5 * erfc(middle / Math.SQRT2) > tail) low = middle;
    else high = middle;
  }
  return mean + sd * ((low + high) / 2);
}

describe('comparisonFmrFor', () => {
  it('equals the FPIR for one comparison', () => {
    expect(comparisonFmrFor(0.01, 1)).toBeCloseTo(0.01, 15);
  });

  it('inverts FPIR = 1 - (1 - FMR)^N', () => {
    for (const [fpir, n] of [[0.01, 100], [0.001, 10_000], [0.2, 3]] as const) {
      const fmr = comparisonFmrFor(fpir, n);
      expect(1 - (1 - fmr) ** n).toBeCloseTo(fpir, 12);
      // Bernoulli's inequality and log(1 - x) <= -x bound it by FPIR / N and -log(1 - FPIR) / N.
      expect(fmr).toBeGreaterThanOrEqual(fpir / n);
      expect(fmr).toBeLessThanOrEqual(-Math.log1p(-fpir) / n);
    }
  });

  it('stays accurate for tiny rates', () => {
    // 1 - (1 - 1e-9)^(1e-6) computed naively loses every digit.
    expect(comparisonFmrFor(1e-9, 1e6) / 1e-15).toBeCloseTo(1, 6);
  });

  it('treats an empty gallery as one comparison', () => {
    expect(comparisonFmrFor(0.01, 0)).toBe(comparisonFmrFor(0.01, 1));
  });

  it.each([0, 1, -0.1, Number.NaN])('rejects target FPIR %s', (fpir) => {
    captureFacegateError(() => comparisonFmrFor(fpir, 10), 'CALIBRATION_FPIR_INVALID');
  });
});

describe('buildImpostorTail', () => {
  it('spans fraction 1 at the minimum to 1/n at the maximum', () => {
    const random = seededRandom(1);
    const scores = Array.from({ length: 10_000 }, () => 0.1 * gaussian(random));
    const tail = buildImpostorTail(scores, { pointsPerDecade: 10 });

    expect(tail[0]).toEqual([Math.min(...scores), 1]);
    expect(tail[tail.length - 1]).toEqual([Math.max(...scores), 1 / 10_000]);
    expect(tail.length).toBeGreaterThanOrEqual(35);
    expect(tail.length).toBeLessThanOrEqual(41);
    for (let i = 1; i < tail.length; i++) {
      expect(tail[i]![0]).toBeGreaterThan(tail[i - 1]![0]);
      expect(tail[i]![1]).toBeLessThanOrEqual(tail[i - 1]![1]);
    }
  });

  it('reports the exact fraction at each point', () => {
    const random = seededRandom(2);
    const scores = Array.from({ length: 3000 }, () => random() * 2 - 1);
    for (const [score, fraction] of buildImpostorTail(scores)) {
      expect(fraction).toBe(scores.filter((value) => value >= score).length / scores.length);
    }
  });

  it('counts tied scores in the fraction', () => {
    const scores = [0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.3, 0.4];
    const tail = buildImpostorTail(scores, { pointsPerDecade: 50 });
    const at = (score: number) => tail.find(([value]) => value === score)?.[1];

    expect(at(0.2)).toBe(7 / 8);
    expect(at(0.3)).toBe(3 / 8);
    expect(at(0.4)).toBe(1 / 8);
  });

  it('rejects scores outside [-1, 1] and too few scores', () => {
    captureFacegateError(() => buildImpostorTail([0.1, 1.5]), 'CALIBRATION_SCORE_INVALID');
    captureFacegateError(() => buildImpostorTail([0.1, Number.NaN]), 'CALIBRATION_SCORE_INVALID');
    captureFacegateError(() => buildImpostorTail([0.1]), 'CALIBRATION_TOO_FEW_SCORES');
  });
});

describe('thresholdFromTail', () => {
  const table: Array<[number, number]> = [
    [0.1, 1e-1],
    [0.2, 1e-2],
    [0.3, 1e-3],
  ];

  it('returns table scores at table fractions', () => {
    const result = thresholdFromTail(table, 1, 1e-2);
    expect(result.threshold).toBeCloseTo(0.2, 12);
    expect(result.extrapolated).toBe(false);
    expect(result.comparisons).toBe(1);
  });

  it('interpolates linearly in log fraction', () => {
    expect(thresholdFromTail(table, 1, Math.sqrt(1e-2 * 1e-3)).threshold).toBeCloseTo(0.25, 12);
  });

  it('flags rates beyond the table', () => {
    const tooRare = thresholdFromTail(table, 1000, 1e-2);
    expect(tooRare.comparisonFmr).toBeLessThan(1e-3);
    expect(tooRare).toMatchObject({ threshold: 0.3, extrapolated: true });

    const tooCommon = thresholdFromTail(table, 1, 0.5);
    expect(tooCommon).toMatchObject({ threshold: 0.1, extrapolated: true });
  });

  it('matches the analytic quantile of Gaussian impostors', () => {
    const mean = 0.02;
    const sd = 0.09;
    const random = seededRandom(3);
    const scores = new Float64Array(400_000);
    for (let i = 0; i < scores.length; i++) scores[i] = Math.max(-1, Math.min(1, mean + sd * gaussian(random)));
    const calibration = new Calibration(createCalibrationFile(scores, { modelVersion: 'synthetic', source: 'Gaussian impostors' }));

    let previous = -Infinity;
    for (const templates of [1, 10, 100, 1000]) {
      const result = calibration.thresholdFor(templates, 0.01);
      const analytic = gaussianUpperQuantile(result.comparisonFmr, mean, sd);

      expect(result.extrapolated).toBe(false);
      // At FMR 1e-5 only 4 of 400k samples lie in the tail, so the tolerance widens with N.
      expect(Math.abs(result.threshold - analytic), `N=${templates}`).toBeLessThan(templates === 1000 ? 0.01 : 0.006);
      // A bigger gallery needs a higher threshold for the same FPIR.
      expect(result.threshold).toBeGreaterThan(previous);
      previous = result.threshold;
    }

    const beyond = calibration.thresholdFor(100_000, 0.01);
    expect(beyond.extrapolated).toBe(true);
    expect(beyond.threshold).toBe(scores.reduce((max, value) => Math.max(max, value), -1));
  });
});

describe('calibration file', () => {
  let folder: string;

  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-calibration-'));
  });

  afterEach(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  function validFile(): CalibrationFile {
    const random = seededRandom(4);
    return createCalibrationFile(
      Array.from({ length: 5000 }, () => 0.1 * gaussian(random)),
      { modelVersion: 'w600k_r50@1', source: 'LFW, all cross-identity pairs', now: new Date('2025-03-01T08:00:00+08:00') },
    );
  }

  function writeJson(value: unknown): string {
    const file = path.join(folder, 'calibration.json');
    fs.writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  }

  it('saves and loads the same thresholds', () => {
    const file = path.join(folder, 'calibration.json');
    const original = validFile();
    saveCalibration(file, original);

    const loaded = loadCalibration(file, { modelVersion: 'w600k_r50@1' });

    expect(loaded.file).toEqual(original);
    expect(loaded.file.format).toBe(CALIBRATION_FORMAT);
    expect(loaded.file.impostorPairs).toBe(5000);
    expect(loaded.thresholdFor(50, 0.01)).toEqual(new Calibration(original).thresholdFor(50, 0.01));
    expect(fs.readdirSync(folder)).toEqual(['calibration.json']);
  });

  it('reports a missing file with the fix', () => {
    const file = path.join(folder, 'calibration.json');
    const error = captureFacegateError(() => loadCalibration(file), 'CALIBRATION_MISSING');
    expect(error.message).toContain(file);
    expect(error.hint).toContain('accuracy benchmark');
  });

  it('rejects a file that is not JSON', () => {
    const error = captureFacegateError(() => loadCalibration(writeJson('{"format": ')), 'CALIBRATION_INVALID');
    expect(error.message).toContain('not valid JSON');
  });

  it.each([
    ['format', (file: CalibrationFile) => ({ ...file, format: 'other/1' }), 'format'],
    ['extra key', (file: CalibrationFile) => ({ ...file, threshold: 0.4 }), 'threshold'],
    ['score out of range', (file: CalibrationFile) => ({ ...file, tail: [[-2, 1], ...file.tail.slice(1)] }), 'tail.0.0'],
    ['zero fraction', (file: CalibrationFile) => ({ ...file, tail: [...file.tail.slice(0, -1), [0.9, 0]] }), 'tail.'],
    ['one point', (file: CalibrationFile) => ({ ...file, tail: file.tail.slice(0, 1) }), 'tail'],
    ['missing model', (file: CalibrationFile) => ({ ...file, modelVersion: undefined }), 'modelVersion'],
    ['bad date', (file: CalibrationFile) => ({ ...file, createdAt: 'yesterday' }), 'createdAt'],
  ])('rejects %s', (_case, mutate, field) => {
    const error = captureFacegateError(() => loadCalibration(writeJson(mutate(validFile()))), 'CALIBRATION_INVALID');
    expect(error.message).toContain(field);
    expect(error.message).toContain(path.join(folder, 'calibration.json'));
  });

  it('rejects scores that do not increase', () => {
    const file = validFile();
    file.tail[3] = [file.tail[1]![0], file.tail[3]![1]];
    const error = captureFacegateError(() => loadCalibration(writeJson(file)), 'CALIBRATION_INVALID');
    expect(error.message).toContain('tail.3: score');
  });

  it('rejects fractions that increase', () => {
    const file = validFile();
    file.tail[4] = [file.tail[4]![0], 1];
    const error = captureFacegateError(() => loadCalibration(writeJson(file)), 'CALIBRATION_INVALID');
    expect(error.message).toContain('tail.4: fraction');
  });

  it('rejects a file for another model', () => {
    const file = writeJson(validFile());
    const error = captureFacegateError(() => loadCalibration(file, { modelVersion: 'other@2' }), 'CALIBRATION_MODEL_MISMATCH');
    expect(error.message).toContain('w600k_r50@1');
    expect(error.message).toContain('other@2');
  });
});

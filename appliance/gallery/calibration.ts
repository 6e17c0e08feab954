/**
 * Open-set thresholds from an impostor score distribution.
 *
 * A verification threshold bounds the chance that one impostor comparison passes (the false match
 * rate, FMR). Identification compares a stranger with every template in the gallery, so the chance
 * that at least one of N comparisons passes (the false-positive identification rate, FPIR) grows
 * with N. If the N comparisons were independent, FPIR = 1 - (1 - FMR)^N, so a target FPIR needs a
 * per-comparison FMR = 1 - (1 - FPIR)^(1/N), which is roughly FPIR / N.
 *
 * NOTE: independence is an assumption. Templates of one subject are correlated, which makes the
 * formula conservative (threshold too high). Probes that look like many people ("wolves") make the
 * real impostor tail heavier per probe, which makes it optimistic. An empirical tail from n impostor
 * pairs also resolves FMR only down to about 10 / n. Below 1 / n the result is flagged extrapolated.
 */
import fs from 'node:fs';
import path from 'node:path';

import { z } from 'zod';

import { FacegateError } from '../common/errors.js';
import { modelsDir } from '../common/paths.js';

export const CALIBRATION_FORMAT = 'facegate-impostor-tail/1';

/**
 * The calibration file (`models/calibration.json`), written by the accuracy benchmark.
 * `tail` lists (score, fraction) pairs: the fraction of impostor pairs whose cosine score is at
 * or above `score`. Scores strictly increase and fractions never increase along the list.
 */
export interface CalibrationFile {
  format: typeof CALIBRATION_FORMAT;
  /** Embedding model the scores came from; a threshold is only valid for that model. */
  modelVersion: string;
  /** Data set and protocol, for example "LFW, all cross-identity pairs of the test split". */
  source: string;
  /** Number of impostor scores the tail was built from; its smallest resolvable fraction is 1 / impostorPairs. */
  impostorPairs: number;
  /** RFC 3339 time the file was written. */
  createdAt: string;
  tail: Array<[score: number, fraction: number]>;
}

export interface ThresholdResult {
  /** Cosine score a best match must reach to be accepted. */
  threshold: number;
  /** Per-comparison false match rate the threshold targets. */
  comparisonFmr: number;
  /** Number of comparisons per search (gallery templates) the rate was computed for. */
  comparisons: number;
  targetFpir: number;
  /** True when the target lies outside the table, so `threshold` is the nearest table score, not an interpolation. */
  extrapolated: boolean;
}

const calibrationSchema = z.strictObject({
  format: z.literal(CALIBRATION_FORMAT),
  modelVersion: z.string().min(1),
  source: z.string().min(1),
  impostorPairs: z.number().int().positive(),
  createdAt: z.iso.datetime({ offset: true }),
  tail: z.array(z.tuple([z.number().min(-1).max(1), z.number().gt(0).max(1)])).min(2),
});

/**
 * Return the per-comparison FMR that gives `targetFpir` over `comparisons` independent comparisons:
 * 1 - (1 - FPIR)^(1/N), computed with log1p/expm1 so it stays accurate for tiny rates.
 */
export function comparisonFmrFor(targetFpir: number, comparisons: number): number {
  validateFpir(targetFpir);
  const n = effectiveComparisons(comparisons);
  return -Math.expm1(Math.log1p(-targetFpir) / n);
}

/**
 * Return the threshold for a target FPIR over `comparisons` comparisons (the number of templates in
 * the gallery, since every template is scored). The score is interpolated linearly in log(fraction)
 * between table points, because an impostor tail falls roughly exponentially.
 */
export function thresholdFromTail(tail: ReadonlyArray<readonly [number, number]>, comparisons: number, targetFpir: number): ThresholdResult {
  const comparisonFmr = comparisonFmrFor(targetFpir, comparisons);
  const result = (threshold: number, extrapolated: boolean): ThresholdResult => ({
    threshold,
    comparisonFmr,
    comparisons: effectiveComparisons(comparisons),
    targetFpir,
    extrapolated,
  });

  const [firstScore, firstFraction] = tail[0]!;
  const [lastScore, lastFraction] = tail[tail.length - 1]!;
  // Above the table's first fraction the true threshold is lower still; the first score is the safe side.
  if (comparisonFmr > firstFraction) return result(firstScore, true);
  if (comparisonFmr < lastFraction) return result(lastScore, true);

  for (let i = 0; i < tail.length - 1; i++) {
    const [lowScore, lowFraction] = tail[i]!;
    const [highScore, highFraction] = tail[i + 1]!;
    if (comparisonFmr > lowFraction || comparisonFmr < highFraction) continue;
    if (lowFraction === highFraction) return result(lowScore, false);
    const t = (Math.log(lowFraction) - Math.log(comparisonFmr)) / (Math.log(lowFraction) - Math.log(highFraction));
    return result(lowScore + t * (highScore - lowScore), false);
  }
  return result(lastScore, false);
}

/**
 * Build a tail table from raw impostor scores: the score at log-spaced ranks from the lowest score
 * (fraction 1) down to the highest (fraction 1 / n), `pointsPerDecade` points per factor of ten.
 */
export function buildImpostorTail(scores: ArrayLike<number>, options: { pointsPerDecade?: number } = {}): Array<[number, number]> {
  const pointsPerDecade = options.pointsPerDecade ?? 20;
  if (scores.length < 2) {
    throw new FacegateError('CALIBRATION_TOO_FEW_SCORES', `Got ${scores.length} impostor scores; at least 2 are needed to build a tail.`, {
      hint: 'Score every cross-identity pair of the evaluation set; thousands of pairs are needed for useful rates.',
      params: { scores: scores.length },
    });
  }
  const sorted = Float64Array.from(scores);
  sorted.forEach((score, index) => {
    if (!Number.isFinite(score) || score < -1 || score > 1) {
      throw new FacegateError('CALIBRATION_SCORE_INVALID', `Impostor score ${score} at index ${index} is not a cosine score in [-1, 1].`, {
        hint: 'Pass cosine similarities of L2-normalised embeddings.',
        params: { score: String(score), index },
      });
    }
  });
  sorted.sort();

  const n = sorted.length;
  const points: Array<[number, number]> = [];
  const decades = Math.log10(n);
  const steps = Math.ceil(decades * pointsPerDecade);
  // k = number of scores in the upper tail, from n (all) down to 1 (the maximum).
  for (let step = 0; step <= steps; step++) {
    const k = Math.max(1, Math.round(n * 10 ** (-step / pointsPerDecade)));
    const score = sorted[n - k]!;
    // With ties, more than k scores can be at or above this one; count them all.
    const fraction = (n - lowerBound(sorted, score)) / n;
    const previous = points[points.length - 1];
    if (previous === undefined || score > previous[0]) points.push([score, fraction]);
  }
  return points;
}

/** Impostor-tail calibration of one model, loaded from a validated calibration file. */
export class Calibration {
  readonly file: CalibrationFile;

  constructor(file: CalibrationFile) {
    this.file = file;
  }

  /** Return the open-set threshold for `targetFpir` with `galleryTemplates` templates enrolled (at least 1 is assumed). */
  thresholdFor(galleryTemplates: number, targetFpir: number): ThresholdResult {
    return thresholdFromTail(this.file.tail, galleryTemplates, targetFpir);
  }
}

/** Create a calibration file object from raw impostor scores. */
export function createCalibrationFile(
  scores: ArrayLike<number>,
  meta: { modelVersion: string; source: string; pointsPerDecade?: number; now?: Date },
): CalibrationFile {
  const tail = meta.pointsPerDecade === undefined ? buildImpostorTail(scores) : buildImpostorTail(scores, { pointsPerDecade: meta.pointsPerDecade });
  return {
    format: CALIBRATION_FORMAT,
    modelVersion: meta.modelVersion,
    source: meta.source,
    impostorPairs: scores.length,
    createdAt: (meta.now ?? new Date()).toISOString(),
    tail,
  };
}

/** Default location of the calibration file: `calibration.json` in the models folder. */
export function defaultCalibrationPath(): string {
  return path.join(modelsDir(), 'calibration.json');
}

/**
 * Validate parsed JSON as a calibration file. Raises CALIBRATION_INVALID naming `origin` and the
 * first bad field.
 */
export function parseCalibration(json: unknown, origin: string): CalibrationFile {
  const parsed = calibrationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw calibrationInvalid(origin, `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const tail = parsed.data.tail;
  for (let i = 1; i < tail.length; i++) {
    if (!(tail[i]![0] > tail[i - 1]![0])) {
      throw calibrationInvalid(origin, `tail.${i}: score ${tail[i]![0]} does not increase on the previous ${tail[i - 1]![0]}`);
    }
    if (tail[i]![1] > tail[i - 1]![1]) {
      throw calibrationInvalid(origin, `tail.${i}: fraction ${tail[i]![1]} is larger than the previous ${tail[i - 1]![1]}`);
    }
  }
  return parsed.data as CalibrationFile;
}

/**
 * Read and validate a calibration file (by default `models/calibration.json`). Raises
 * CALIBRATION_MISSING, CALIBRATION_INVALID, or CALIBRATION_MODEL_MISMATCH when `modelVersion`
 * is given and differs from the file's.
 */
export function loadCalibration(file: string = defaultCalibrationPath(), options: { modelVersion?: string } = {}): Calibration {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FacegateError('CALIBRATION_MISSING', `Calibration file ${file} was not found, so no open-set threshold can be computed.`, {
        hint: 'Run the accuracy benchmark, which writes this file from LFW embeddings, or copy it from the firmware release.',
        params: { path: file },
        cause: error,
      });
    }
    throw calibrationInvalid(file, (error as Error).message);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw calibrationInvalid(file, `not valid JSON (${(error as Error).message})`);
  }
  const calibration = parseCalibration(json, file);

  if (options.modelVersion !== undefined && calibration.modelVersion !== options.modelVersion) {
    throw new FacegateError(
      'CALIBRATION_MODEL_MISMATCH',
      `Calibration file ${file} is for model ${calibration.modelVersion}, but the embedding model is ${options.modelVersion}.`,
      {
        hint: 'Run the accuracy benchmark with the installed model to regenerate the calibration file.',
        params: { path: file, fileModel: calibration.modelVersion, model: options.modelVersion },
      },
    );
  }
  return new Calibration(calibration);
}

/** Write a calibration file as indented JSON through a temporary file and a rename. */
export function saveCalibration(file: string, calibration: CalibrationFile): void {
  parseCalibration(calibration, file);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(calibration, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

function calibrationInvalid(origin: string, detail: string): FacegateError {
  return new FacegateError('CALIBRATION_INVALID', `Calibration file ${origin} is invalid: ${detail}.`, {
    hint: 'Regenerate it with the accuracy benchmark; do not edit it by hand.',
    params: { path: origin, detail },
  });
}

function validateFpir(targetFpir: number): void {
  if (!(targetFpir > 0 && targetFpir < 1)) {
    throw new FacegateError('CALIBRATION_FPIR_INVALID', `Target FPIR ${targetFpir} is invalid; expected a rate between 0 and 1 exclusive.`, {
      hint: 'Pass a rate such as 0.001 for one false acceptance per thousand strangers.',
      params: { fpir: targetFpir },
    });
  }
}

function effectiveComparisons(comparisons: number): number {
  if (!Number.isFinite(comparisons)) {
    throw new FacegateError('CALIBRATION_COMPARISONS_INVALID', `Comparison count ${comparisons} is not a finite number.`, {
      hint: 'Pass the number of templates in the gallery.',
      params: { comparisons: String(comparisons) },
    });
  }
  // An empty gallery still gets a usable threshold: that of a single comparison.
  return Math.max(1, Math.floor(comparisons));
}

/** Index of the first element of `sorted` that is >= value. */
function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

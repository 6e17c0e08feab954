import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../appliance/common/logger.js';
import { errorMessage, isFacegateError } from '../appliance/common/errors.js';
import { buildImpostorTail, createCalibrationFile, saveCalibration, thresholdFromTail } from '../appliance/gallery/calibration.js';
import { Matcher } from '../appliance/gallery/matcher.js';
import { decideIdentity } from '../appliance/recognition/decide.js';
import { DEFAULT_MIN_MARGIN } from '../appliance/recognition/recognizer.js';
import { decodeImageFile } from '../appliance/vision/decode.js';
import { FacePipeline } from '../appliance/vision/pipeline.js';
import { identityOf, readPairs } from './pairs.js';
import { round, runRecord, type RunRecord } from './record.js';
import { foldAccuracy, tarAtFar, type ScoredPair, type TarAtFar } from './verification.js';

export interface AccuracyOptions {
  pairsFile: string;
  imagesDir?: string;
  targetFpir: number;
  /** Write the all-pairs impostor calibration here (models/calibration.json for the shipped model). */
  calibrationOut?: string;
  seed: number;
  command: string;
  log: (line: string) => void;
}

export interface AccuracyResult {
  run: RunRecord;
  pairsFile: string;
  images: number;
  pairs: number;
  errors: { images: number; byReason: Record<string, number>; pairs: number; examples: string[] };
  verification: { mean: number; std: number; folds: number[] };
  pairsTar: TarAtFar[];
  allPairs: { genuine: number; impostor: number; tar: TarAtFar[] };
  openSet: {
    galleryIdentities: number;
    enrolmentFailures: number;
    matedProbes: number;
    nonMatedProbes: number;
    targetFpir: number;
    threshold: number;
    thresholdExtrapolated: boolean;
    minMargin: number;
    dir: number;
    fpir: number;
    calibrationSource: string;
  };
  msPerImage: number;
}

type Embedded = { embedding: Float32Array } | { error: string };

function shuffle<T>(items: T[], seed: number): T[] {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/**
 * Verification and open-set identification accuracy of the full pipeline on a pairs file.
 * An image whose face is not found, is unreadable or fails the quality gate is an error: its pairs
 * are decided "different person", never skipped.
 */
export async function runAccuracyBenchmark(options: AccuracyOptions, logger: Logger): Promise<AccuracyResult> {
  const { pairs, root } = readPairs(options.pairsFile, options.imagesDir);
  const files = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
  const pipeline = await FacePipeline.create({}, logger);

  const embedded = new Map<string, Embedded>();
  const byReason: Record<string, number> = {};
  const started = performance.now();
  for (const [index, file] of files.entries()) {
    try {
      const result = await pipeline.analyse(await decodeImageFile(path.join(root, file)), { order: 'central', liveness: false });
      const face = result.faces[0];
      if (face === undefined) embedded.set(file, { error: 'no-face' });
      else if (face.embedding === null) embedded.set(file, { error: `quality:${face.quality.reasons.join('+')}` });
      else embedded.set(file, { embedding: face.embedding });
    } catch (error) {
      embedded.set(file, { error: isFacegateError(error) ? error.code : errorMessage(error) });
    }
    const entry = embedded.get(file)!;
    if ('error' in entry) byReason[entry.error] = (byReason[entry.error] ?? 0) + 1;
    if ((index + 1) % 500 === 0) options.log(`  ${index + 1}/${files.length} images`);
  }
  const msPerImage = (performance.now() - started) / files.length;
  const modelVersion = pipeline.versions.fr_feature;
  await pipeline.close();
  const vector = (file: string): Float32Array | undefined => {
    const entry = embedded.get(file);
    return entry !== undefined && 'embedding' in entry ? entry.embedding : undefined;
  };

  // Verification on the listed pairs.
  const scored: ScoredPair[] = pairs.map((p) => {
    const a = vector(p.a);
    const b = vector(p.b);
    return { score: a && b ? dot(a, b) : null, same: p.same, fold: p.fold };
  });
  const verification = foldAccuracy(scored);
  const pairGenuine = scored.filter((p) => p.same && p.score !== null).map((p) => p.score!);
  const pairGenuineFailures = scored.filter((p) => p.same && p.score === null).length;
  const pairImpostors = Float32Array.from(scored.filter((p) => !p.same && p.score !== null).map((p) => p.score!)).sort().reverse();
  const pairsTar = [1e-3, 1e-4].map((far) => tarAtFar(pairGenuine, pairGenuineFailures, pairImpostors, far));

  // All image pairs: every two images of the same folder are genuine, of different folders impostor.
  const ok = files.filter((f) => vector(f) !== undefined);
  const genuine: number[] = [];
  const impostors = new Float32Array((ok.length * (ok.length - 1)) / 2);
  let impostorCount = 0;
  for (let i = 0; i < ok.length; i++) {
    const a = vector(ok[i]!)!;
    const identity = identityOf(ok[i]!);
    for (let j = i + 1; j < ok.length; j++) {
      const score = dot(a, vector(ok[j]!)!);
      if (identityOf(ok[j]!) === identity) genuine.push(score);
      else impostors[impostorCount++] = score;
    }
  }
  const impostorScores = impostors.subarray(0, impostorCount).sort();
  const descending = Float32Array.from(impostorScores).reverse();
  let genuineFailures = 0;
  const byIdentity = new Map<string, string[]>();
  for (const file of files) byIdentity.set(identityOf(file), [...(byIdentity.get(identityOf(file)) ?? []), file]);
  for (const group of byIdentity.values()) {
    const n = group.length;
    const good = group.filter((f) => vector(f) !== undefined).length;
    genuineFailures += (n * (n - 1)) / 2 - (good * (good - 1)) / 2;
  }
  const allTar = [1e-3, 1e-4].map((far) => tarAtFar(genuine, genuineFailures, descending, far));

  if (options.calibrationOut !== undefined) {
    saveCalibration(
      options.calibrationOut,
      createCalibrationFile(impostorScores, { modelVersion, source: `${path.basename(options.pairsFile)} all image pairs, ${impostorCount} impostor scores` }),
    );
    options.log(`calibration written to ${options.calibrationOut}`);
  }

  const openSet = evaluateOpenSet(byIdentity, vector, options);
  const errorImages = [...embedded.values()].filter((e) => 'error' in e).length;
  const examples = [...embedded.entries()].filter(([, e]) => 'error' in e).slice(0, 10).map(([f, e]) => `${f}: ${(e as { error: string }).error}`);
  return {
    run: runRecord(options.command),
    pairsFile: options.pairsFile,
    images: files.length,
    pairs: pairs.length,
    errors: { images: errorImages, byReason, pairs: scored.filter((p) => p.score === null).length, examples },
    verification: { mean: verification.mean, std: verification.std, folds: verification.folds },
    pairsTar,
    allPairs: { genuine: genuine.length + genuineFailures, impostor: impostorCount, tar: allTar },
    openSet,
    msPerImage,
  };
}

/**
 * Open-set identification: two thirds of the identities are enrolled with one image each, their other
 * images are mated searches and every image of the remaining third is a non-mated search. The threshold
 * comes from an impostor calibration built only from gallery-side images, so no stranger informs it.
 */
function evaluateOpenSet(
  byIdentity: Map<string, string[]>,
  vector: (file: string) => Float32Array | undefined,
  options: AccuracyOptions,
): AccuracyResult['openSet'] {
  const identities = shuffle([...byIdentity.keys()].sort(), options.seed);
  const galleryIds = identities.slice(0, Math.round((identities.length * 2) / 3));
  const strangerIds = identities.slice(galleryIds.length);

  const matcher = new Matcher();
  let enrolmentFailures = 0;
  const mated: Array<{ identity: string; file: string }> = [];
  const gallerySide: Float32Array[] = [];
  const gallerySideIdentity: string[] = [];
  for (const identity of galleryIds) {
    const group = byIdentity.get(identity)!;
    const enrolled = group.find((f) => vector(f) !== undefined);
    if (enrolled === undefined) {
      enrolmentFailures++;
      continue;
    }
    matcher.add({ subjectId: identity, templateId: enrolled, embedding: vector(enrolled)! });
    for (const file of group) {
      if (vector(file) !== undefined) {
        gallerySide.push(vector(file)!);
        gallerySideIdentity.push(identity);
      }
      if (file !== enrolled) mated.push({ identity, file });
    }
  }

  const impostors: number[] = [];
  for (let i = 0; i < gallerySide.length; i++) {
    for (let j = i + 1; j < gallerySide.length; j++) {
      if (gallerySideIdentity[i] !== gallerySideIdentity[j]) impostors.push(dot(gallerySide[i]!, gallerySide[j]!));
    }
  }
  const calibrated = thresholdFromTail(buildImpostorTail(impostors), matcher.size, options.targetFpir);

  let identified = 0;
  for (const probe of mated) {
    const embedding = vector(probe.file);
    if (embedding === undefined) continue;
    const outcome = decideIdentity(matcher.search(embedding), calibrated.threshold, DEFAULT_MIN_MARGIN);
    if (outcome.decision === 'match' && outcome.best!.subjectId === probe.identity) identified++;
  }
  let falsePositives = 0;
  const strangers = strangerIds.flatMap((id) => byIdentity.get(id)!);
  for (const file of strangers) {
    const embedding = vector(file);
    if (embedding === undefined) continue;
    if (decideIdentity(matcher.search(embedding), calibrated.threshold, DEFAULT_MIN_MARGIN).decision === 'match') falsePositives++;
  }
  return {
    galleryIdentities: matcher.subjectCount,
    enrolmentFailures,
    matedProbes: mated.length,
    nonMatedProbes: strangers.length,
    targetFpir: options.targetFpir,
    threshold: calibrated.threshold,
    thresholdExtrapolated: calibrated.extrapolated,
    minMargin: DEFAULT_MIN_MARGIN,
    dir: identified / mated.length,
    fpir: falsePositives / strangers.length,
    calibrationSource: `${impostors.length} impostor pairs among gallery-side images`,
  };
}

export function formatAccuracy(result: AccuracyResult): string[] {
  const pct = (v: number, digits = 2): string => `${(v * 100).toFixed(digits)} %`;
  const lines = [
    `pairs file        ${result.pairsFile}: ${result.pairs} pairs over ${result.images} images (${result.msPerImage.toFixed(1)} ms per image)`,
    `errors            ${result.errors.images} images (${JSON.stringify(result.errors.byReason)}), ${result.errors.pairs} pairs decided "different"`,
    `verification      ${pct(result.verification.mean)} ± ${pct(result.verification.std)} (${result.verification.folds.length}-fold)`,
  ];
  for (const t of result.pairsTar) {
    lines.push(`pairs TAR         ${pct(t.tar)} at FAR ${t.far} (threshold ${t.threshold.toFixed(3)}${t.underResolved ? ', fewer impostor pairs than 1/FAR: not resolved' : ''})`);
  }
  for (const t of result.allPairs.tar) {
    lines.push(`all-pairs TAR     ${pct(t.tar)} at FAR ${t.far} (threshold ${t.threshold.toFixed(3)}; ${result.allPairs.genuine} genuine, ${result.allPairs.impostor} impostor)`);
  }
  const o = result.openSet;
  lines.push(
    `open set          ${o.galleryIdentities} enrolled, ${o.matedProbes} mated and ${o.nonMatedProbes} non-mated searches; threshold ${o.threshold.toFixed(3)} for FPIR ${o.targetFpir}${o.thresholdExtrapolated ? ' (extrapolated)' : ''}, margin ${o.minMargin}`,
    `open set          DIR ${pct(o.dir)} at FPIR ${pct(o.fpir)}`,
  );
  return lines;
}

export function summariseAccuracy(result: AccuracyResult): Record<string, unknown> {
  return {
    accuracy: round(result.verification.mean, 5),
    accuracyStd: round(result.verification.std, 5),
    pairsTarAtFar1e3: round(result.pairsTar[0]!.tar, 5),
    pairsTarAtFar1e4: round(result.pairsTar[1]!.tar, 5),
    allPairsTarAtFar1e3: round(result.allPairs.tar[0]!.tar, 5),
    allPairsTarAtFar1e4: round(result.allPairs.tar[1]!.tar, 5),
    detectionFailures: result.errors.byReason['no-face'] ?? 0,
    errorImages: result.errors.images,
    errorPairs: result.errors.pairs,
    openSetEnrolled: result.openSet.galleryIdentities,
    dir: round(result.openSet.dir, 5),
    fpir: round(result.openSet.fpir, 5),
    threshold: round(result.openSet.threshold, 4),
  };
}

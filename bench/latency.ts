import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Logger } from '../appliance/common/logger.js';
import { decodeImage } from '../appliance/vision/decode.js';
import type { RgbImage } from '../appliance/vision/image.js';
import { FacePipeline, type StageName } from '../appliance/vision/pipeline.js';
import { percentile, round, runRecord, type RunRecord } from './record.js';

export interface LatencyOptions {
  imagesDir: string;
  /** At most this many images, taken in name order from the folder tree. */
  limit: number;
  /** Also time each image placed on a 640x480 frame, as a camera delivers it (raw, no decode). */
  frames: boolean;
  command: string;
}

interface Summary {
  p50: number;
  p95: number;
}

export interface LatencyResult {
  run: RunRecord;
  imagesDir: string;
  images: number;
  withFace: number;
  /** Decode → detection → landmarks → alignment → quality → liveness → embedding, per image. */
  total: Summary;
  stages: Partial<Record<StageName | 'decode', Summary>>;
  frame640x480: { total: Summary; frames: number } | null;
  peakRssBytes: number;
}

function listImages(dir: string, limit: number): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (found.length >= limit) return;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(jpe?g|png)$/i.test(entry.name)) found.push(full);
    }
  };
  walk(dir);
  return found;
}

const summarise = (values: number[]): Summary => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 0.5), 2), p95: round(percentile(sorted, 0.95), 2) };
};

/** Place an image on a 640x480 canvas, scaled to fit, as a camera frame of that size would hold it. */
async function toFrame(image: RgbImage): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(640, 480, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Per-stage and total time of the in-process pipeline on every image of a folder, after a warm-up. */
export async function runLatencyBenchmark(options: LatencyOptions, logger: Logger): Promise<LatencyResult> {
  const files = listImages(options.imagesDir, options.limit);
  const pipeline = await FacePipeline.create({}, logger);
  const totals: number[] = [];
  const stages = new Map<string, number[]>();
  const push = (stage: string, ms: number): void => {
    stages.set(stage, [...(stages.get(stage) ?? []), ms]);
  };
  let withFace = 0;
  const frames: RgbImage[] = [];
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const started = performance.now();
    const image = await decodeImage(bytes, file);
    const decodeMs = performance.now() - started;
    const result = await pipeline.analyse(image);
    totals.push(performance.now() - started);
    push('decode', decodeMs);
    for (const [stage, ms] of Object.entries(result.timings)) push(stage, ms);
    if (result.faces.length > 0) withFace++;
    if (options.frames && frames.length < 200) frames.push(await toFrame(image));
  }

  let frame640x480: LatencyResult['frame640x480'] = null;
  if (options.frames) {
    const frameTotals: number[] = [];
    for (const frame of frames) {
      const started = performance.now();
      await pipeline.analyse(frame);
      frameTotals.push(performance.now() - started);
    }
    frame640x480 = { total: summarise(frameTotals), frames: frames.length };
  }
  await pipeline.close();

  const stageSummary: LatencyResult['stages'] = {};
  for (const [stage, values] of stages) stageSummary[stage as StageName] = summarise(values);
  return {
    run: runRecord(options.command),
    imagesDir: options.imagesDir,
    images: files.length,
    withFace,
    total: summarise(totals),
    stages: stageSummary,
    frame640x480,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

export function formatLatency(result: LatencyResult): string[] {
  const lines = [
    `images            ${result.images} from ${result.imagesDir} (${result.withFace} with a face)`,
    `total per image   p50 ${result.total.p50} ms, p95 ${result.total.p95} ms (decode to embedding and liveness)`,
  ];
  for (const [stage, s] of Object.entries(result.stages)) lines.push(`  ${stage.padEnd(16)}p50 ${s.p50} ms, p95 ${s.p95} ms`);
  if (result.frame640x480 !== null) {
    lines.push(`640x480 frame     p50 ${result.frame640x480.total.p50} ms, p95 ${result.frame640x480.total.p95} ms (${result.frame640x480.frames} frames, raw, no decode)`);
  }
  lines.push(`peak RSS          ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  return lines;
}

/**
 * Match benchmark: search latency of the in-memory matcher on random unit vectors.
 *
 *   npx tsx bench/match.ts [--templates 1000,10000,100000] [--queries 200] [--kernel wasm-int8,js-float32]
 *
 * Prints a table and writes bench/results/match.json. Half of the queries are random unit vectors
 * (strangers). The other half are noisy copies of enrolled templates (cosine about 0.7, like a
 * second photo of an enrolled person), because the int8 pre-scan keeps more rows when a query is
 * close to many templates.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { PROJECT_ROOT } from '../appliance/common/paths.js';
import { Matcher, type MatcherTemplate } from '../appliance/gallery/matcher.js';
import { perturbedUnitVector, randomUnitVector, seededRandom } from '../appliance/gallery/random-vectors.js';

export type MatchKernel = 'wasm-int8' | 'js-float32';

export interface MatchBenchmarkOptions {
  /** Gallery sizes to measure, in templates. */
  templates: number[];
  /** Timed searches per size and kernel; 200 by default. */
  queries?: number;
  /** Untimed searches first, so the JIT has compiled the hot loops; 20 by default. */
  warmup?: number;
  /** 512 by default. */
  dimension?: number;
  /** 5 by default, so 100k templates are 20k subjects. */
  templatesPerSubject?: number;
  /** Both by default. */
  kernels?: MatchKernel[];
  seed?: number;
}

export interface MatchBenchmarkRow {
  templates: number;
  subjects: number;
  kernel: MatchKernel;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Time to add all templates to an empty matcher. */
  buildMs: number;
  /** Bytes of the float32 template array as allocated (capacity, not size). */
  vectorBytes: number;
  /** Bytes of the int8 index (WebAssembly memory and per-row arrays); 0 for js-float32. */
  indexBytes: number;
  /** Resident set size of the whole benchmark process after building this matcher. */
  rssBytes: number;
}

export interface MatchBenchmarkResult {
  command: string;
  gitCommit: string;
  /** True when the gallery or benchmark sources differed from the commit. */
  gitDirty: boolean;
  date: string;
  machine: {
    cpuModel: string;
    cores: number;
    totalMemoryBytes: number;
    node: string;
    platform: string;
    arch: string;
    /** One-minute load averages before and after the run; other work on the machine inflates the timings. */
    loadAverageBefore: number;
    loadAverageAfter: number;
  };
  dimension: number;
  warmup: number;
  rows: MatchBenchmarkRow[];
}

/** Run the benchmark for each gallery size and kernel and return the figures. */
export function runMatchBenchmark(options: MatchBenchmarkOptions): MatchBenchmarkResult {
  const queries = options.queries ?? 200;
  const warmup = options.warmup ?? 20;
  const dimension = options.dimension ?? 512;
  const templatesPerSubject = options.templatesPerSubject ?? 5;
  const kernels = options.kernels ?? ['wasm-int8', 'js-float32'];
  const seed = options.seed ?? 1;
  const loadAverageBefore = os.loadavg()[0]!;

  const rows: MatchBenchmarkRow[] = [];
  for (const count of options.templates) {
    const random = seededRandom(seed + count);
    const templates = makeTemplates(random, count, dimension, templatesPerSubject);
    const probes = makeQueries(random, templates, queries + warmup);

    for (const kernel of kernels) {
      const buildStart = performance.now();
      const matcher = Matcher.fromTemplates(templates, { kernel, dimension });
      const buildMs = performance.now() - buildStart;
      const rssBytes = process.memoryUsage().rss;

      for (let i = 0; i < warmup; i++) matcher.search(probes[i]!);
      const timings: number[] = [];
      for (let i = warmup; i < probes.length; i++) {
        const start = performance.now();
        matcher.search(probes[i]!);
        timings.push(performance.now() - start);
      }
      timings.sort((a, b) => a - b);

      rows.push({
        templates: count,
        subjects: matcher.subjectCount,
        kernel,
        queries,
        p50Ms: round(percentile(timings, 0.5)),
        p95Ms: round(percentile(timings, 0.95)),
        maxMs: round(timings[timings.length - 1]!),
        buildMs: Math.round(buildMs),
        vectorBytes: matcher.bytes.vectors,
        indexBytes: matcher.bytes.index,
        rssBytes,
      });
    }
  }

  return {
    command: `npx tsx bench/match.ts --templates ${options.templates.join(',')} --queries ${queries} --kernel ${kernels.join(',')}`,
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: git(['status', '--porcelain', '--', 'appliance/gallery', 'bench/match.ts']) !== '',
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemoryBytes: os.totalmem(),
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      loadAverageBefore,
      loadAverageAfter: os.loadavg()[0]!,
    },
    dimension,
    warmup,
    rows,
  };
}

/** Format the figures as a plain-text table. */
export function formatMatchBenchmark(result: MatchBenchmarkResult): string {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  const header = ['templates', 'subjects', 'kernel', 'p50 ms', 'p95 ms', 'max ms', 'build ms', 'vectors MiB', 'index MiB', 'RSS MiB'];
  const lines = result.rows.map((row) =>
    [row.templates, row.subjects, row.kernel, row.p50Ms, row.p95Ms, row.maxMs, row.buildMs, mib(row.vectorBytes), mib(row.indexBytes), mib(row.rssBytes)].map(String),
  );
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]): string => cells.map((cell, column) => cell.padStart(widths[column]!)).join('  ');
  const { machine } = result;
  return [
    `${machine.cpuModel}, ${machine.cores} cores, ${mib(machine.totalMemoryBytes)} MiB, Node ${machine.node}; load ${machine.loadAverageBefore.toFixed(2)} -> ${machine.loadAverageAfter.toFixed(2)}`,
    format(header),
    ...lines.map(format),
  ].join('\n');
}

/** Write the result as JSON, by default to bench/results/match.json. */
export function writeMatchBenchmarkResult(result: MatchBenchmarkResult, file = path.join(PROJECT_ROOT, 'bench', 'results', 'match.json')): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function makeTemplates(random: () => number, count: number, dimension: number, perSubject: number): MatcherTemplate[] {
  return Array.from({ length: count }, (_, index) => ({
    subjectId: `S${Math.floor(index / perSubject)}`,
    templateId: `T${index}`,
    embedding: randomUnitVector(random, dimension),
  }));
}

function makeQueries(random: () => number, templates: MatcherTemplate[], count: number): Float32Array[] {
  const dimension = templates[0]!.embedding.length;
  return Array.from({ length: count }, (_, index) => {
    if (index % 2 === 0) return randomUnitVector(random, dimension);
    const enrolled = templates[Math.floor(random() * templates.length)]!;
    return perturbedUnitVector(random, enrolled.embedding, 1);
  });
}

function percentile(sorted: number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index]!;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function parseArguments(argv: string[]): MatchBenchmarkOptions {
  const options: MatchBenchmarkOptions = { templates: [1000, 10_000, 100_000] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`Option ${flag} needs a value; see the usage at the top of bench/match.ts.`);
    if (flag === '--templates') options.templates = value.split(',').map((part) => positiveInteger(part, flag));
    else if (flag === '--queries') options.queries = positiveInteger(value, flag);
    else if (flag === '--kernel') options.kernels = value.split(',').map((part) => kernelName(part));
    else throw new Error(`Unknown option ${flag}; expected --templates, --queries or --kernel.`);
  }
  return options;
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Option ${flag} expects positive integers, got ${JSON.stringify(text)}.`);
  return value;
}

function kernelName(text: string): MatchKernel {
  if (text !== 'wasm-int8' && text !== 'js-float32') throw new Error(`Unknown kernel ${JSON.stringify(text)}; expected wasm-int8 or js-float32.`);
  return text;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const result = runMatchBenchmark(parseArguments(process.argv.slice(2)));
  console.log(formatMatchBenchmark(result));
  console.log(`written to ${path.relative(process.cwd(), writeMatchBenchmarkResult(result))}`);
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../appliance/common/paths.js';

/** Where and on what a benchmark ran, recorded with every result file. */
export interface RunRecord {
  command: string;
  commit: string;
  /** True when tracked files differed from the commit at run time. */
  dirty: boolean;
  date: string;
  machine: { cpuModel: string; cores: number; totalMemoryBytes: number; node: string; platform: string; loadAverage: number };
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function runRecord(command: string): RunRecord {
  return {
    command,
    commit: git(['rev-parse', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    date: new Date().toISOString(),
    machine: {
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemoryBytes: os.totalmem(),
      node: process.version,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      loadAverage: os.loadavg()[0]!,
    },
  };
}

export function writeResult(name: string, result: unknown): string {
  const file = path.join(PROJECT_ROOT, 'bench', 'results', `${name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Value at `fraction` of an ascending array (nearest rank). */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function standardDeviation(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
}

export const round = (value: number, digits = 4): number => Math.round(value * 10 ** digits) / 10 ** digits;

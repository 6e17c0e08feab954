/** Latency percentiles of one stage over one reporting interval, in milliseconds. */
export interface StagePercentiles {
  p50: number;
  p95: number;
}

/** Samples kept per stage and interval; at 30 fps a 60-second interval stays under it. */
const MAX_SAMPLES = 4_096;

/**
 * Collects stage latencies between two telemetry messages. A stage with more than MAX_SAMPLES in
 * one interval keeps a uniform reservoir sample, so memory stays bounded.
 */
export class LatencyWindow {
  private readonly samples = new Map<string, { values: number[]; seen: number }>();

  record(stage: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    let entry = this.samples.get(stage);
    if (entry === undefined) {
      entry = { values: [], seen: 0 };
      this.samples.set(stage, entry);
    }
    entry.seen += 1;
    if (entry.values.length < MAX_SAMPLES) {
      entry.values.push(ms);
      return;
    }
    const slot = Math.floor(Math.random() * entry.seen);
    if (slot < MAX_SAMPLES) entry.values[slot] = ms;
  }

  /** Percentiles per stage since the last call, then start a new interval. */
  take(): Record<string, StagePercentiles> {
    const result: Record<string, StagePercentiles> = {};
    for (const [stage, { values }] of this.samples) {
      if (values.length === 0) continue;
      const sorted = [...values].sort((a, b) => a - b);
      result[stage] = { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)) };
    }
    this.samples.clear();
    return result;
  }
}

/** Value at `fraction` of an ascending array, nearest rank. */
export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

import type { BackoffSettings } from './types.js';

const MINUTE_MS = 60_000;

export interface RestartDelay {
  readonly delayMs: number;
  /** True when the per-minute launch limit, not the exponential step, set the delay. */
  readonly limited: boolean;
  readonly consecutiveFailures: number;
}

/**
 * Restart pacing for a supervised subprocess: the delay doubles with each failure in a row, from
 * `initialMs` up to `maxMs`, returns to `initialMs` once a run has been healthy for `healthyAfterMs`,
 * and launches never exceed `maxRestartsPerMinute` in any 60-second window.
 */
export class RestartBackoff {
  private failuresInRow = 0;
  private launches: number[] = [];

  constructor(
    private readonly settings: BackoffSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (settings.initialMs <= 0 || settings.maxMs < settings.initialMs) {
      throw new RangeError(`backoff needs 0 < initialMs <= maxMs, got ${settings.initialMs} and ${settings.maxMs}`);
    }
    if (settings.maxRestartsPerMinute < 1) {
      throw new RangeError(`maxRestartsPerMinute must be at least 1, got ${settings.maxRestartsPerMinute}`);
    }
  }

  get consecutiveFailures(): number {
    return this.failuresInRow;
  }

  recordLaunch(): void {
    this.launches.push(this.now());
  }

  /** Reset the exponential step when the run that started at `runStartedAt` has lasted long enough. */
  noteHealthy(runStartedAt: number): void {
    if (this.failuresInRow > 0 && this.now() - runStartedAt >= this.settings.healthyAfterMs) {
      this.failuresInRow = 0;
    }
  }

  /** Record a failure and return how long to wait before the next launch. */
  recordFailure(): RestartDelay {
    this.failuresInRow += 1;
    const exponent = Math.min(this.failuresInRow - 1, 30);
    const stepMs = Math.min(this.settings.maxMs, this.settings.initialMs * 2 ** exponent);

    const now = this.now();
    this.launches = this.launches.filter((at) => now - at < MINUTE_MS);
    let windowMs = 0;
    if (this.launches.length >= this.settings.maxRestartsPerMinute) {
      // The next launch may happen once enough old launches have left the window.
      const oldestToExpire = this.launches[this.launches.length - this.settings.maxRestartsPerMinute]!;
      windowMs = oldestToExpire + MINUTE_MS - now;
    }

    return {
      delayMs: Math.ceil(Math.max(stepMs, windowMs)),
      limited: windowMs > stepMs,
      consecutiveFailures: this.failuresInRow,
    };
  }
}

/** Frames per second over a sliding window, from arrival times in milliseconds. */
export class RateMeter {
  private times: number[] = [];

  constructor(
    private readonly windowMs = 5_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(): void {
    const now = this.now();
    this.times.push(now);
    this.trim(now);
  }

  rate(): number {
    const now = this.now();
    this.trim(now);
    if (this.times.length < 2) return 0;
    // Intervals over the time since the oldest frame in the window, so a stall lowers the rate at once.
    return ((this.times.length - 1) * 1000) / Math.max(now - this.times[0]!, 1);
  }

  reset(): void {
    this.times = [];
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.times.length && now - this.times[drop]! > this.windowMs) drop += 1;
    if (drop > 0) this.times.splice(0, drop);
  }
}

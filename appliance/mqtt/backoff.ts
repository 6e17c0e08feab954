/**
 * Exponential backoff with "full jitter": the n-th delay (n from 0) is uniform in
 * [0, min(maxMs, baseMs * 2^n)), so devices that lost the broker together do not reconnect
 * together. With the defaults the ceiling grows 1 s, 2 s, 4 s ... and stays at 60 s.
 */

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Uniform random number in [0, 1); `Math.random` by default. */
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1_000;
    this.maxMs = options.maxMs ?? 60_000;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs > 0 && this.maxMs >= this.baseMs)) {
      throw new RangeError(`Backoff needs 0 < baseMs <= maxMs, got baseMs ${this.baseMs} and maxMs ${this.maxMs}.`);
    }
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** Upper bound of the next delay. */
  ceiling(): number {
    // Cap the exponent so 2^n cannot overflow to Infinity after many failures.
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 52));
  }

  /** Delay before the next attempt, in milliseconds; counts one more failure. */
  next(): number {
    const ceiling = this.ceiling();
    this.attempt += 1;
    const drawn = this.random();
    // A broken random source must not produce NaN or a delay past the ceiling.
    const fraction = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1 - Number.EPSILON) : 0;
    return Math.floor(fraction * ceiling);
  }

  /** The longest delay, for when retrying sooner only makes things worse (another client has taken our session). */
  maximum(): number {
    this.attempt += 1;
    return this.maxMs;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/**
 * Token bucket rate limiter: `ratePerSecond` tokens a second, holding at most `burst`. The
 * publisher takes one token per message, so a long outbox drains at a steady rate instead of
 * flooding the broker after an outage.
 */

export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Bucket size, the most messages sent back to back; 10 by default. */
  burst?: number;
  /** Milliseconds on a monotonic clock; `performance.now` by default. */
  now?: () => number;
}

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private tokens: number;
  private refilledAt: number;

  constructor(options: TokenBucketOptions) {
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst ?? 10;
    this.now = options.now ?? (() => performance.now());
    if (!(this.ratePerSecond > 0 && Number.isFinite(this.ratePerSecond))) {
      throw new RangeError(`Rate limit must be a positive number of messages per second, got ${this.ratePerSecond}.`);
    }
    if (!(this.burst >= 1)) throw new RangeError(`Burst must be at least 1 message, got ${this.burst}.`);
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  /** Take one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  msUntilAvailable(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.refilledAt = now;
  }
}

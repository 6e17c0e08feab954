/**
 * Decides whether a repeated failure deserves another log line at its own level. The first
 * occurrence of a failure is logged. Identical ones after it are logged again only once per
 * `intervalMs`, with the count of those in between, so a broker that stays unreachable for a
 * day costs a few lines, not thousands.
 */
export class RepeatFilter {
  private lastKey: string | undefined;
  private lastLoggedAt = 0;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `log` is true when the line should be logged at its full level; `repeats` is how many identical lines were held back since the last one. */
  check(key: string): { log: boolean; repeats: number } {
    const now = this.now();
    if (key !== this.lastKey || now - this.lastLoggedAt >= this.intervalMs) {
      const repeats = key === this.lastKey ? this.suppressed : 0;
      this.lastKey = key;
      this.lastLoggedAt = now;
      this.suppressed = 0;
      return { log: true, repeats };
    }
    this.suppressed += 1;
    return { log: false, repeats: this.suppressed };
  }

  reset(): void {
    this.lastKey = undefined;
    this.suppressed = 0;
  }
}

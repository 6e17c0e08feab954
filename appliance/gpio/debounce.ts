import type { Clock, TimerHandle } from './clock.js';

/**
 * Turns raw edges into stable values: a new value counts once no further edge arrived for `debounceMs`.
 * The reported timestamp is that of the first edge of the burst, the moment closest to the physical event.
 */
export class Debouncer {
  private stable: boolean;
  private pendingValue: boolean | undefined;
  private burstStartNs: bigint | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    initial: boolean,
    private readonly debounceMs: number,
    private readonly clock: Clock,
    private readonly onStable: (value: boolean, timestampNs: bigint) => void,
  ) {
    this.stable = initial;
  }

  get value(): boolean {
    return this.stable;
  }

  /** Feed one raw edge: the logical value after the edge and the edge's timestamp. */
  push(value: boolean, timestampNs: bigint): void {
    if (this.debounceMs <= 0) {
      this.commit(value, timestampNs);
      return;
    }
    this.burstStartNs ??= timestampNs;
    this.pendingValue = value;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.settle(), this.debounceMs);
  }

  /** Replace the stable value without an event, such as after re-reading the line on a restart. */
  reset(value: boolean): void {
    this.cancel();
    this.stable = value;
  }

  cancel(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pendingValue = undefined;
    this.burstStartNs = undefined;
  }

  private settle(): void {
    const value = this.pendingValue;
    const timestampNs = this.burstStartNs;
    this.timer = undefined;
    this.pendingValue = undefined;
    this.burstStartNs = undefined;
    if (value === undefined || timestampNs === undefined) return;
    this.commit(value, timestampNs);
  }

  private commit(value: boolean, timestampNs: bigint): void {
    // A bounce that ends on the old value is no change at all.
    if (value === this.stable) return;
    this.stable = value;
    this.onStable(value, timestampNs);
  }
}

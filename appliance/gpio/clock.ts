/**
 * Timers and clocks passed into GPIO and door code, so tests can swap in vitest fake timers.
 * Every call goes through `globalThis` at call time, which is what `vi.useFakeTimers()` replaces.
 */
export type TimerHandle = ReturnType<typeof setTimeout>;

export interface Clock {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** CLOCK_MONOTONIC in nanoseconds, the same clock as the kernel's GPIO edge timestamps. */
  monotonicNs(): bigint;
  /** Monotonic milliseconds, for durations. */
  monotonicMs(): number;
  /** Wall-clock milliseconds since the Unix epoch, for log lines and audit records. */
  wallMs(): number;
}

export const systemClock: Clock = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
  monotonicNs: () => process.hrtime.bigint(),
  monotonicMs: () => Number(process.hrtime.bigint() / 1_000n) / 1000,
  wallMs: () => Date.now(),
};

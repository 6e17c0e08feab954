import { FacegateError } from '../common/errors.js';
import type { Frame, NextFrameOptions } from './types.js';

interface Waiter {
  resolve(frame: Frame): void;
  reject(error: Error): void;
}

/**
 * Hand-over point between capture and consumers that keeps only the newest frame.
 * A frame that no consumer took before the next one arrived is dropped and counted.
 */
export class LatestFrameSlot {
  private pending: Frame | undefined;
  private waiters = new Set<Waiter>();
  private closedWith: FacegateError | undefined;
  private skipped = 0;
  private delivered = 0;

  get framesSkipped(): number {
    return this.skipped;
  }

  get framesDelivered(): number {
    return this.delivered;
  }

  /** Offer a new frame: waiting consumers get it at once, otherwise it replaces the pending one. */
  put(frame: Frame): void {
    if (this.closedWith !== undefined) return;
    if (this.waiters.size > 0) {
      const waiters = [...this.waiters];
      this.waiters.clear();
      this.delivered += 1;
      for (const waiter of waiters) waiter.resolve(frame);
      return;
    }
    if (this.pending !== undefined) this.skipped += 1;
    this.pending = frame;
  }

  take(options: NextFrameOptions = {}): Promise<Frame> {
    if (this.pending !== undefined) {
      const frame = this.pending;
      this.pending = undefined;
      this.delivered += 1;
      return Promise.resolve(frame);
    }
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (options.signal?.aborted === true) return Promise.reject(abortedError());

    return new Promise<Frame>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => settle(() => reject(abortedError()));
      const settle = (finish: () => void): void => {
        this.waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const waiter: Waiter = {
        resolve: (frame) => settle(() => resolve(frame)),
        reject: (error) => settle(() => reject(error)),
      };
      this.waiters.add(waiter);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        timer = setTimeout(
          () =>
            settle(() =>
              reject(
                new FacegateError('camera.frameTimeout', `no camera frame within ${timeoutMs} ms`, {
                  hint: 'check the camera state and the last camera error in the log',
                  params: { timeoutMs },
                }),
              ),
            ),
          timeoutMs,
        );
      }
    });
  }

  /**
   * Reject waiting and future `take()` calls with `error`. A pending frame is dropped unless
   * `keepPending` is set, in which case one more `take()` still returns it (the last frame of a file).
   */
  close(error: FacegateError, options: { keepPending?: boolean } = {}): void {
    this.closedWith = error;
    if (options.keepPending !== true) this.pending = undefined;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }

  /** Accept frames again after `close()`, keeping the counters. */
  reopen(): void {
    this.closedWith = undefined;
  }

  resetCounters(): void {
    this.skipped = 0;
    this.delivered = 0;
  }
}

function abortedError(): FacegateError {
  return new FacegateError('camera.aborted', 'waiting for a camera frame was aborted');
}

import type { CameraSource, Frame } from '../camera/types.js';

/**
 * A second reader of a camera that leaves the gate's frame loop alone: it listens to the camera's
 * `frame` event, which fires for every frame before the latest-frame-wins hand-over, and keeps only
 * the newest one. Taking frames through `camera.next()` instead would steal them from the loop.
 */
export class LatestFrameTap {
  private latest: Frame | undefined;
  private lastTakenSeq = -1;
  private waiter: ((frame: Frame | undefined) => void) | undefined;
  private detach: (() => void) | undefined;

  constructor(private readonly camera: Pick<CameraSource, 'on'>) {}

  start(): void {
    this.detach ??= this.camera.on('frame', (frame) => {
      this.latest = frame;
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.(frame);
    });
  }

  /** Stop listening and resolve a pending `next()` with undefined. */
  stop(): void {
    this.detach?.();
    this.detach = undefined;
    this.latest = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }

  /**
   * Resolve with the newest frame not taken before, waiting up to `timeoutMs` for one; undefined on
   * timeout, on abort and after stop(). One caller at a time.
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<Frame | undefined> {
    const latest = this.latest;
    if (latest !== undefined && latest.seq > this.lastTakenSeq) return Promise.resolve(this.take(latest));
    if (this.detach === undefined || signal?.aborted === true) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const finish = (frame: Frame | undefined): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiter === finish) this.waiter = undefined;
        resolve(frame === undefined ? undefined : this.take(frame));
      };
      const onAbort = (): void => finish(undefined);
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = finish;
    });
  }

  private take(frame: Frame): Frame {
    this.lastTakenSeq = frame.seq;
    return frame;
  }
}

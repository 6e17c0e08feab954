/** One decoded video frame, already scaled to the size the pipeline requested. */
export interface Frame {
  readonly width: number;
  readonly height: number;
  /** RGB24, interleaved, row-major, `width * height * 3` bytes, no row padding. */
  readonly data: Buffer;
  /** Frame number since `start()`, counting every frame read, including skipped ones; it keeps rising across restarts. */
  readonly seq: number;
  /** `process.hrtime.bigint()` when the last byte of the frame arrived from the pipe. */
  readonly capturedAtNs: bigint;
  /** Wall-clock time of arrival, milliseconds since the Unix epoch (`Date.now()`). */
  readonly wallTime: number;
}

export const CAMERA_TYPES = ['v4l2', 'rtsp', 'http', 'file', 'folder', 'rpicam'] as const;
export type CameraType = (typeof CAMERA_TYPES)[number];

/**
 * Lifecycle of a source: `starting` until the first frame of a run, `running` while frames flow,
 * `backoff` while waiting to restart after a failure, `ended` when a finite input (file or folder
 * without loop) reached its end, `stopped` after `stop()`.
 */
export type CameraState = 'idle' | 'starting' | 'running' | 'backoff' | 'ended' | 'stopped';

export interface CameraStats {
  readonly state: CameraState;
  /** Frames read from the pipe since `start()`. */
  readonly framesReceived: number;
  /** Frames replaced by a newer one before any consumer took them. */
  readonly framesSkipped: number;
  /** Frames handed to consumers through `next()` or `subscribe()`. */
  readonly framesDelivered: number;
  /** Subprocess launches after the first one. */
  readonly restarts: number;
  /** Frames per second received over the last few seconds (see `fpsWindowMs`). */
  readonly fps: number;
  /** Wall time of the newest frame, milliseconds since the Unix epoch, or null before the first. */
  readonly lastFrameAt: number | null;
  /** Summary of the newest failure, with credentials removed, or null when none happened since `start()`. */
  readonly lastError: string | null;
}

export type CameraFailureReason = 'exit' | 'stall' | 'start-timeout' | 'spawn-error' | 'preflight';

export interface CameraFailure {
  readonly reason: CameraFailureReason;
  /** One-line description of the failure, with credentials removed. */
  readonly message: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last lines the subprocesses wrote to standard error, oldest first, credentials removed. */
  readonly stderrTail: readonly string[];
  /** Delay before the next launch. */
  readonly restartInMs: number;
  /** Failures in a row since the last healthy period. */
  readonly consecutiveFailures: number;
}

export interface CameraEvents {
  /** Every frame as it arrives, before the latest-frame-wins hand-over; listeners must return quickly. */
  frame: Frame;
  state: { readonly state: CameraState; readonly previous: CameraState };
  failure: CameraFailure;
}

export interface NextFrameOptions {
  signal?: AbortSignal;
  /** Reject with `camera.frameTimeout` when no frame arrives within this time. */
  timeoutMs?: number;
}

/**
 * A camera that delivers the newest frame: it keeps at most one frame that no consumer has taken,
 * and a newer frame replaces it (the replaced one counts as skipped).
 */
export interface CameraSource {
  readonly type: CameraType;
  /** Input named for logs, with credentials removed (`rtsp://cam.local/stream`, `/dev/video0`). */
  readonly description: string;
  readonly width: number;
  readonly height: number;

  /** Launch the capture. Source failures never reject it: they are logged, counted and retried with backoff. */
  start(): Promise<void>;
  /** End the subprocesses (SIGTERM, then SIGKILL after a grace period), clear timers and reject pending `next()` calls. */
  stop(): Promise<void>;

  /**
   * Resolve with the newest frame that no consumer has taken yet, waiting for one if needed.
   * Rejects with a FacegateError: `camera.stopped`, `camera.ended`, `camera.frameTimeout` or `camera.aborted`.
   */
  next(options?: NextFrameOptions): Promise<Frame>;
  /**
   * Call `handler` with the newest frame each time it is free. Frames that arrive while it runs are
   * replaced by newer ones and counted as skipped. Returns the function that ends the subscription.
   */
  subscribe(handler: (frame: Frame) => void | Promise<void>): () => void;

  on<E extends keyof CameraEvents>(event: E, listener: (payload: CameraEvents[E]) => void): () => void;
  stats(): CameraStats;
}

/** Restart pacing after a failure: exponential from `initialMs` to `maxMs`, reset after a healthy run. */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run that delivers frames for this long resets the delay to `initialMs`. */
  readonly healthyAfterMs: number;
  /** Launches allowed in any 60-second window; further launches wait for the window to move. */
  readonly maxRestartsPerMinute: number;
}

/** Timing shared by every backend. */
export interface CaptureTiming {
  /** A run that delivered frames and then delivers none for this long is killed and restarted. */
  readonly stallTimeoutMs: number;
  /** A run that delivers no first frame within this time is killed and restarted. */
  readonly startTimeoutMs: number;
  readonly backoff: BackoffSettings;
  /** Time between SIGTERM and SIGKILL when stopping. */
  readonly killGraceMs?: number;
  /** Window over which `stats().fps` is measured. */
  readonly fpsWindowMs?: number;
}

import { spawn, type ChildProcess } from 'node:child_process';

import { FacegateError, errorMessage } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { RateMeter, RestartBackoff } from './backoff.js';
import { RawFrameAssembler } from './frame-assembler.js';
import { LatestFrameSlot } from './frame-slot.js';
import { Listeners } from './listeners.js';
import { redactUrlCredentials } from './redact.js';
import { StderrRing } from './stderr-ring.js';
import type {
  BackoffSettings,
  CameraEvents,
  CameraFailure,
  CameraFailureReason,
  CameraSource,
  CameraState,
  CameraStats,
  CameraType,
  CaptureTiming,
  Frame,
  NextFrameOptions,
} from './types.js';

export const FFMPEG_COMMAND = 'ffmpeg';

/** Dependencies every backend takes besides its configuration. */
export interface CameraDeps {
  readonly logger: Logger;
  /** ffmpeg executable; by default `ffmpeg` from PATH. */
  readonly ffmpegCommand?: string;
}

/** Copy the timing part of a camera configuration into the form the supervisor takes. */
export function captureTiming(config: {
  stallTimeoutMs: number;
  startTimeoutMs: number;
  backoff: BackoffSettings;
}): CaptureTiming {
  return { stallTimeoutMs: config.stallTimeoutMs, startTimeoutMs: config.startTimeoutMs, backoff: { ...config.backoff } };
}

/** Options that come before every ffmpeg input: no banner, no keyboard on stdin, warnings and errors only. */
export const FFMPEG_GLOBAL_ARGS: readonly string[] = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];

// ffmpeg prints the first once per scaler for JPEG (full-range) input, and ffmpeg 5.1 and later the second
// for the -vsync option kept for ffmpeg 4.x (see ffmpegOutputArgs); they would push real errors out of the ring.
const STDERR_NOISE = /deprecated pixel format used, make sure you did set range correctly|-vsync is deprecated/;

const STDERR_LINES = 100;
/** Standard-error lines of one run logged at warn as they arrive; later ones go to debug, so a noisy source cannot flood the journal. */
const STDERR_WARNINGS_PER_RUN = 20;
const DEFAULT_KILL_GRACE_MS = 2_000;

export interface OutputFormat {
  readonly width: number;
  readonly height: number;
  /** Drop or repeat frames to this rate; leave unset when the input already runs at the wanted rate. */
  readonly fps?: number;
  /** The input is full-range YUV without saying so (rpicam-vid writes JPEG-range YUV420). */
  readonly fullRangeInput?: boolean;
}

/**
 * Output options that turn any input into `width`×`height` RGB24 frames on standard output.
 * The picture keeps its aspect ratio and is letterboxed with black, because stretching it would
 * distort the face geometry that detection and alignment rely on.
 */
export function ffmpegOutputArgs(format: OutputFormat): string[] {
  const { width, height } = format;
  const filters: string[] = [];
  if (format.fps !== undefined) filters.push(`fps=${format.fps}`);
  const range = format.fullRangeInput === true ? ':in_range=full' : '';
  filters.push(`scale=${width}:${height}:force_original_aspect_ratio=decrease${range}`);
  filters.push('format=rgb24');
  filters.push(`pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=black`);
  // `-vsync passthrough` writes each decoded frame once, with no duplicates to fill a constant rate.
  // ffmpeg 5.1 calls it deprecated in favour of -fps_mode, but ffmpeg 4.x (Jetson, Ubuntu 22.04) lacks that.
  return [
    '-an',
    '-vf',
    filters.join(','),
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${width}x${height}`,
    'pipe:1',
  ];
}

export interface ProcessSpec {
  readonly command: string;
  readonly args: readonly string[];
}

/** Processes that one run launches. */
export interface CapturePlan {
  /** Processes piped in order, each one's standard output into the next one's standard input; the last writes RGB24 frames. */
  readonly processes: readonly ProcessSpec[];
  /** Called once the run's processes have exited, for example to remove a temporary list file. */
  readonly cleanup?: () => Promise<void>;
}

export interface FfmpegSourceOptions {
  readonly type: CameraType;
  /** Input named for logs, credentials already removed. */
  readonly description: string;
  readonly width: number;
  readonly height: number;
  readonly timing: CaptureTiming;
  /** `end` for finite inputs (a file or folder played once): exit code 0 ends the source instead of restarting it. */
  readonly endOfInput: 'restart' | 'end';
  /** Build the processes for the next run; throw a FacegateError to report a problem found before launching. */
  plan(): Promise<CapturePlan>;
  /** Applied to every stderr line and command line before it is stored or logged. */
  readonly redact?: (text: string) => string;
  readonly logger: Logger;
}

interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly stderr: StderrRing;
  readonly exited: Promise<void>;
}

interface Run {
  readonly id: number;
  readonly processes: RunningProcess[];
  readonly assembler: RawFrameAssembler;
  readonly cleanup: (() => Promise<void>) | undefined;
  firstFrameAt: number | undefined;
  watchdog: NodeJS.Timeout | undefined;
  finished: boolean;
  stderrLinesLogged: number;
}

interface FailureDetails {
  readonly reason: CameraFailureReason;
  readonly message: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly hint?: string;
}

// Install hints for a missing command.
const INSTALL_HINTS: Record<string, string> = {
  ffmpeg: 'install the ffmpeg package (apt-get install ffmpeg)',
  'rpicam-vid': 'install rpicam-apps (apt-get install rpicam-apps on Raspberry Pi OS)',
};

/**
 * Camera source backed by an ffmpeg subprocess (optionally fed by another process, such as
 * rpicam-vid) that writes raw RGB24 frames to a pipe. It supervises the run: a process exit,
 * a missing first frame or a stall kills the run, logs the tail of standard error and relaunches
 * with capped exponential backoff.
 */
export class FfmpegCameraSource implements CameraSource {
  readonly type: CameraType;
  readonly description: string;
  readonly width: number;
  readonly height: number;

  private readonly logger: Logger;
  private readonly redact: (text: string) => string;
  private readonly frameBytes: number;
  private readonly slot = new LatestFrameSlot();
  private readonly listeners: Listeners<CameraEvents>;
  private readonly backoff: RestartBackoff;
  private readonly meter: RateMeter;

  private state: CameraState = 'idle';
  private run: Run | undefined;
  private runCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private seq = 0;
  private received = 0;
  private restarts = 0;
  private lastFrameAt: number | null = null;
  private lastError: string | null = null;

  constructor(private readonly options: FfmpegSourceOptions) {
    this.type = options.type;
    this.description = options.description;
    this.width = options.width;
    this.height = options.height;
    this.frameBytes = options.width * options.height * 3;
    this.logger = options.logger.child({ camera: options.type, input: options.description });
    this.redact = options.redact ?? redactUrlCredentials;
    this.listeners = new Listeners<CameraEvents>(this.logger);
    this.backoff = new RestartBackoff(options.timing.backoff);
    this.meter = new RateMeter(options.timing.fpsWindowMs ?? 5_000);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'stopped' && this.state !== 'ended') return;
    this.stopping = false;
    this.seq = 0;
    this.received = 0;
    this.restarts = 0;
    this.runCount = 0;
    this.lastError = null;
    this.lastFrameAt = null;
    this.meter.reset();
    this.slot.resetCounters();
    this.slot.reopen();
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.slot.close(new FacegateError('camera.stopped', `camera ${this.description} was stopped`));

    const run = this.run;
    this.run = undefined;
    if (run !== undefined) {
      run.finished = true;
      this.clearWatchdog(run);
      await this.terminate(run, 'SIGTERM');
    }
    this.setState('stopped');
    this.logger.info({ framesReceived: this.received, restarts: this.restarts }, 'camera stopped');
  }

  next(options?: NextFrameOptions): Promise<Frame> {
    return this.slot.take(options);
  }

  subscribe(handler: (frame: Frame) => void | Promise<void>): () => void {
    const controller = new AbortController();
    const loop = async (): Promise<void> => {
      while (!controller.signal.aborted) {
        let frame: Frame;
        try {
          frame = await this.slot.take({ signal: controller.signal });
        } catch {
          // Stopped, ended or unsubscribed: every reason to reject ends the subscription.
          return;
        }
        try {
          await handler(frame);
        } catch (error) {
          this.logger.error({ err: error, seq: frame.seq }, 'camera frame handler failed');
        }
      }
    };
    void loop();
    return () => controller.abort();
  }

  on<E extends keyof CameraEvents>(event: E, listener: (payload: CameraEvents[E]) => void): () => void {
    return this.listeners.on(event, listener);
  }

  stats(): CameraStats {
    return {
      state: this.state,
      framesReceived: this.received,
      framesSkipped: this.slot.framesSkipped,
      framesDelivered: this.slot.framesDelivered,
      restarts: this.restarts,
      fps: this.meter.rate(),
      lastFrameAt: this.lastFrameAt,
      lastError: this.lastError,
    };
  }

  private async launch(): Promise<void> {
    this.restartTimer = undefined;
    if (this.stopping) return;
    this.runCount += 1;
    if (this.runCount > 1) this.restarts += 1;
    this.backoff.recordLaunch();
    this.setState('starting');

    let plan: CapturePlan;
    try {
      plan = await this.options.plan();
    } catch (error) {
      const hint = error instanceof FacegateError ? error.hint : undefined;
      await this.fail(undefined, { reason: 'preflight', message: this.redact(errorMessage(error)), hint });
      return;
    }
    if (this.stopping) {
      await plan.cleanup?.();
      return;
    }

    const run = this.spawnRun(plan);
    this.run = run;
    this.logger.info(
      {
        run: run.id,
        commands: plan.processes.map((spec) => this.redact([spec.command, ...spec.args].join(' '))),
      },
      'camera starting',
    );
    this.armWatchdog(run, this.options.timing.startTimeoutMs, 'start-timeout');
  }

  private spawnRun(plan: CapturePlan): Run {
    const run: Run = {
      id: this.runCount,
      processes: [],
      assembler: new RawFrameAssembler(this.frameBytes, (data) => this.onFrame(run, data)),
      cleanup: plan.cleanup,
      firstFrameAt: undefined,
      watchdog: undefined,
      finished: false,
      stderrLinesLogged: 0,
    };

    let upstream: ChildProcess | undefined;
    plan.processes.forEach((spec, index) => {
      const isLast = index === plan.processes.length - 1;
      const child = spawn(spec.command, [...spec.args], {
        // An upstream process's stdout is handed over as this process's stdin, so frames never pass through Node.
        stdio: [upstream?.stdout ?? 'ignore', 'pipe', 'pipe'],
      });
      // The child has its own copy of the pipe, and closing ours lets the writer see EPIPE when the reader dies.
      upstream?.stdout?.destroy();

      const name = spec.command.split('/').pop() ?? spec.command;
      const stderr = new StderrRing(STDERR_LINES, STDERR_NOISE, (line) => this.onStderrLine(run, name, line));
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => {
          if (child.pid === undefined) resolve();
        });
      });
      run.processes.push({ name, child, stderr, exited });

      child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
      if (isLast) child.stdout?.on('data', (chunk: Buffer) => run.assembler.push(chunk));
      child.once('error', (error: NodeJS.ErrnoException) => this.onSpawnError(run, spec.command, error));
      child.once('close', (code, signal) => this.onClose(run, name, isLast, code, signal));
      upstream = child;
    });
    return run;
  }

  private onFrame(run: Run, data: Buffer): void {
    if (run !== this.run || run.finished) return;
    const now = performance.now();
    this.seq += 1;
    this.received += 1;
    this.lastFrameAt = Date.now();
    this.meter.record();

    if (run.firstFrameAt === undefined) {
      run.firstFrameAt = now;
      this.setState('running');
      this.logger.info({ run: run.id, restarts: this.restarts }, 'camera delivering frames');
      this.armWatchdog(run, this.options.timing.stallTimeoutMs, 'stall');
    } else {
      run.watchdog?.refresh();
      this.backoff.noteHealthy(run.firstFrameAt);
    }

    const frame: Frame = {
      width: this.width,
      height: this.height,
      data,
      seq: this.seq,
      capturedAtNs: process.hrtime.bigint(),
      wallTime: this.lastFrameAt,
    };
    this.listeners.emit('frame', frame);
    this.slot.put(frame);
  }

  /** Log what a running process reports (a corrupt frame, a decode error) while it keeps delivering frames. */
  private onStderrLine(run: Run, name: string, line: string): void {
    if (run !== this.run || run.finished) return;
    run.stderrLinesLogged += 1;
    const fields = { run: run.id, process: name, line: this.redact(line), count: run.stderrLinesLogged };
    if (run.stderrLinesLogged <= STDERR_WARNINGS_PER_RUN) this.logger.warn(fields, `camera process reported: ${this.redact(line)}`);
    else this.logger.debug(fields, 'camera process reported a further problem');
  }

  private onSpawnError(run: Run, command: string, error: NodeJS.ErrnoException): void {
    if (run !== this.run || run.finished) return;
    const missing = error.code === 'ENOENT';
    const name = command.split('/').pop() ?? command;
    void this.fail(run, {
      reason: 'spawn-error',
      message: missing ? `${command} not found` : `could not start ${command}: ${error.message}`,
      hint: missing ? (INSTALL_HINTS[name] ?? `install ${name} or fix its path`) : undefined,
    });
  }

  private onClose(run: Run, name: string, isLast: boolean, code: number | null, signal: NodeJS.Signals | null): void {
    if (run !== this.run || run.finished) return;
    if (isLast && code === 0 && this.options.endOfInput === 'end') {
      void this.end(run);
      return;
    }
    const how = code !== null ? `exit code ${code}` : `signal ${signal ?? 'unknown'}`;
    void this.fail(run, { reason: 'exit', message: `${name} exited (${how})`, exitCode: code, signal });
  }

  private armWatchdog(run: Run, timeoutMs: number, reason: 'start-timeout' | 'stall'): void {
    this.clearWatchdog(run);
    run.watchdog = setTimeout(() => {
      if (run !== this.run || run.finished) return;
      const message =
        reason === 'stall'
          ? `no frame for ${timeoutMs} ms after frames were flowing`
          : `no first frame within ${timeoutMs} ms`;
      void this.fail(run, { reason, message });
    }, timeoutMs);
  }

  private clearWatchdog(run: Run): void {
    if (run.watchdog !== undefined) clearTimeout(run.watchdog);
    run.watchdog = undefined;
  }

  private async fail(run: Run | undefined, details: FailureDetails): Promise<void> {
    if (run !== undefined) {
      run.finished = true;
      this.clearWatchdog(run);
    }
    const delay = this.backoff.recordFailure();
    const stderrTail = run === undefined ? [] : this.stderrTail(run);
    this.lastError = details.hint === undefined ? details.message : `${details.message}; ${details.hint}`;

    const failure: CameraFailure = {
      reason: details.reason,
      message: this.lastError,
      exitCode: details.exitCode ?? null,
      signal: details.signal ?? null,
      stderrTail,
      restartInMs: delay.delayMs,
      consecutiveFailures: delay.consecutiveFailures,
    };
    this.logger.error(
      {
        run: run?.id,
        reason: failure.reason,
        exitCode: failure.exitCode,
        signal: failure.signal,
        restartInMs: failure.restartInMs,
        consecutiveFailures: failure.consecutiveFailures,
        restartLimitReached: delay.limited,
        stderr: stderrTail,
      },
      `camera failed: ${failure.message}; restarting in ${(delay.delayMs / 1000).toFixed(1)} s`,
    );
    this.setState('backoff');
    this.listeners.emit('failure', failure);

    // A hung process may ignore SIGTERM (ffmpeg blocked in open() on a FIFO does), so stalls get SIGKILL.
    const hung = details.reason === 'stall' || details.reason === 'start-timeout';
    if (run !== undefined) await this.terminate(run, hung ? 'SIGKILL' : 'SIGTERM');
    if (this.stopping) return;
    if (run !== undefined && run === this.run) this.run = undefined;
    this.restartTimer = setTimeout(() => void this.launch(), delay.delayMs);
  }

  private async end(run: Run): Promise<void> {
    run.finished = true;
    this.clearWatchdog(run);
    this.logger.info({ run: run.id, framesReceived: this.received }, 'camera input ended');
    await this.terminate(run, 'SIGTERM');
    if (run === this.run) this.run = undefined;
    this.setState('ended');
    this.slot.close(new FacegateError('camera.ended', `camera input ${this.description} has ended`, { params: { input: this.description } }), { keepPending: true });
  }

  /** Signal every process of a run that is still alive, escalate to SIGKILL after the grace period, then clean up. */
  private async terminate(run: Run, signal: NodeJS.Signals): Promise<void> {
    const graceMs = this.options.timing.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    await Promise.all(
      run.processes.map(async ({ name, child, exited }) => {
        if (hasExited(child)) return;
        child.kill(signal);
        if (signal !== 'SIGKILL' && !(await settlesWithin(exited, graceMs))) {
          this.logger.warn({ run: run.id, process: name, pid: child.pid, graceMs }, 'camera process ignored SIGTERM; sending SIGKILL');
          child.kill('SIGKILL');
        }
        if (!(await settlesWithin(exited, graceMs))) {
          this.logger.error({ run: run.id, process: name, pid: child.pid }, 'camera process did not exit after SIGKILL');
        }
      }),
    );
    for (const { child } of run.processes) {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    run.assembler.reset();
    try {
      await run.cleanup?.();
    } catch (error) {
      this.logger.warn({ err: error, run: run.id }, 'camera run clean-up failed');
    }
  }

  private stderrTail(run: Run): string[] {
    const several = run.processes.length > 1;
    return run.processes.flatMap(({ name, stderr }) =>
      stderr.tail().map((line) => this.redact(several ? `[${name}] ${line}` : line)),
    );
  }

  private setState(state: CameraState): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.logger.debug({ state, previous }, 'camera state changed');
    this.listeners.emit('state', { state, previous });
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true), timeout]);
  clearTimeout(timer);
  return settled;
}

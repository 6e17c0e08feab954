import { createRequire } from 'node:module';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { UnixDgramSocket } from 'unix-dgram';

type UnixDgramModule = typeof import('unix-dgram');

/** Destination named by NOTIFY_SOCKET: a filesystem socket, or an abstract one written with a leading `@`. */
export type NotifyTarget = { kind: 'path'; path: string } | { kind: 'abstract'; name: string } | { kind: 'other'; value: string };

export function parseNotifySocket(value: string | undefined): NotifyTarget | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.startsWith('@')) return { kind: 'abstract', name: value.slice(1) };
  if (value.startsWith('/')) return { kind: 'path', path: value };
  return { kind: 'other', value };
}

export interface SystemdNotifierOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/**
 * Sends sd_notify datagrams (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`) to $NOTIFY_SOCKET.
 * Node has no unix datagram sockets, so this uses the unix-dgram native module. Without NOTIFY_SOCKET
 * (not started by systemd, or Type= is not notify) every call is a no-op.
 */
export class SystemdNotifier {
  private socket: UnixDgramSocket | undefined;
  private readonly path: string | undefined;
  private failures = 0;

  constructor(private readonly options: SystemdNotifierOptions) {
    const raw = (options.env ?? process.env).NOTIFY_SOCKET;
    const target = parseNotifySocket(raw);
    if (target === undefined) {
      options.logger.debug('NOTIFY_SOCKET is not set; systemd notifications are off');
      return;
    }
    if (target.kind !== 'path') {
      // unix-dgram 2.0 copies sun_path with strncpy and always sends sizeof(sockaddr_un) as the address
      // length, so the leading NUL of an abstract name ends the copy and the send fails (ECONNREFUSED).
      throw new FacegateError(
        'systemd.notify_socket_unsupported',
        `NOTIFY_SOCKET=${raw} is not a filesystem socket path, which is the only kind facegate can send to.`,
        {
          hint: 'Run facegate under systemd, which sets a path such as /run/systemd/notify, or unset NOTIFY_SOCKET for a run outside systemd.',
          params: { value: String(raw) },
        },
      );
    }
    this.path = target.path;
    const unixDgram = createRequire(import.meta.url)('unix-dgram') as UnixDgramModule;
    this.socket = unixDgram.createSocket('unix_dgram');
    this.socket.on('error', (error: Error) => this.reportFailure(error, 'socket'));
  }

  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** Send one datagram of `KEY=value` lines; returns whether it was handed to the kernel. */
  notify(fields: Record<string, string>): boolean {
    const socket = this.socket;
    if (!socket || !this.path) return false;
    const message = Buffer.from(
      Object.entries(fields)
        .map(([key, value]) => `${key}=${value}`)
        .join('\n'),
    );
    let sent = true;
    socket.send(message, 0, message.length, this.path, (error) => {
      if (error) {
        sent = false;
        this.reportFailure(error, Object.keys(fields).join(','));
      }
    });
    return sent;
  }

  /** Tell systemd that start-up finished; call only once models are loaded and the camera delivered a frame. */
  ready(status?: string): boolean {
    return this.notify({ READY: '1', ...(status === undefined ? {} : { STATUS: oneLine(status) }) });
  }

  status(text: string): boolean {
    return this.notify({ STATUS: oneLine(text) });
  }

  watchdog(): boolean {
    return this.notify({ WATCHDOG: '1' });
  }

  stopping(status?: string): boolean {
    return this.notify({ STOPPING: '1', ...(status === undefined ? {} : { STATUS: oneLine(status) }) });
  }

  /** Ask for more start or stop time than TimeoutStartSec/TimeoutStopSec, such as while the outbox drains. */
  extendTimeout(ms: number): boolean {
    return this.notify({ EXTEND_TIMEOUT_USEC: String(Math.round(ms * 1000)) });
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private reportFailure(error: Error, fieldNames: string): void {
    this.failures += 1;
    // Log the first failure and then every hundredth, so a vanished socket cannot flood the journal.
    if (this.failures === 1 || this.failures % 100 === 0) {
      this.options.logger.warn(
        { err: error, socket: this.path, fields: fieldNames, failures: this.failures },
        'Sending a systemd notification failed',
      );
    }
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/**
 * Read the watchdog period systemd set, in microseconds, or undefined when the watchdog is off or
 * meant for another process (WATCHDOG_PID set to a different pid).
 */
export function watchdogPeriodUs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isInteger(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return usec;
}

export interface WatchdogPingerOptions {
  notifier: SystemdNotifier;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  pid?: number;
}

/**
 * Sends WATCHDOG=1 at half the period systemd set with WatchdogSec=. The pings come from a setInterval
 * on the main event loop on purpose: a loop that is blocked or spinning stops pinging, and systemd
 * restarts the daemon.
 */
export class WatchdogPinger {
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly intervalMs: number | undefined;

  constructor(private readonly options: WatchdogPingerOptions) {
    const periodUs = watchdogPeriodUs(options.env ?? process.env, options.pid ?? process.pid);
    this.intervalMs = periodUs === undefined ? undefined : Math.max(1, Math.floor(periodUs / 2000));
  }

  start(): void {
    if (this.timer) return;
    if (this.intervalMs === undefined || !this.options.notifier.enabled) {
      this.options.logger.debug('systemd watchdog is off (no WATCHDOG_USEC for this process or no NOTIFY_SOCKET)');
      return;
    }
    this.options.notifier.watchdog();
    this.timer = setInterval(() => this.options.notifier.watchdog(), this.intervalMs);
    // The pinger alone must not keep a stopping daemon alive.
    this.timer.unref();
    this.options.logger.info({ intervalMs: this.intervalMs }, 'systemd watchdog pings started');
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

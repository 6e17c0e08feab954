import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../common/logger.js';

/** Clock-sync state as events and telemetry carry it. */
export interface ClockSyncState {
  state: 'synced' | 'unsynced' | 'unknown';
  /** Where the time came from, when synced. */
  source?: string;
}

export interface ClockSyncReaderOptions {
  /** `timedatectl` executable; found on PATH by default. */
  timedatectl?: string;
  /** File systemd-timesyncd creates once it has synchronised the clock. */
  syncedFile?: string;
  timeoutMs?: number;
}

export const TIMESYNCD_SYNCED_FILE = '/run/systemd/timesync/synchronized';

/**
 * Read whether the system clock is synchronised. `timedatectl show -p NTPSynchronized --value`
 * reports the kernel's own flag (adjtimex), whichever NTP client set it; when timedatectl cannot
 * answer (no systemd, no D-Bus), the file systemd-timesyncd leaves after a sync is the fallback.
 * With neither, the state is `unknown`, never a guess.
 */
export async function readClockSync(options: ClockSyncReaderOptions = {}): Promise<ClockSyncState> {
  const answer = await runTimedatectl(options.timedatectl ?? 'timedatectl', options.timeoutMs ?? 2_000);
  if (answer === 'yes') return { state: 'synced', source: 'ntp' };
  if (answer === 'no') return { state: 'unsynced' };
  try {
    fs.accessSync(options.syncedFile ?? TIMESYNCD_SYNCED_FILE);
    return { state: 'synced', source: 'ntp' };
  } catch {
    return { state: 'unknown' };
  }
}

function runTimedatectl(command: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, ['show', '-p', 'NTPSynchronized', '--value'], { timeout: timeoutMs }, (error, stdout) => {
      if (error !== null) return resolve(undefined);
      const value = stdout.trim();
      resolve(value === 'yes' || value === 'no' ? value : undefined);
    });
  });
}

/**
 * Keeps the clock-sync state fresh without a subprocess per event: it reads at start() and then
 * every `intervalMs`, and current() returns the latest reading.
 */
export class ClockSyncMonitor {
  private latest: ClockSyncState = { state: 'unknown' };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: ClockSyncReaderOptions & { logger: Logger; intervalMs?: number },
  ) {}

  current(): ClockSyncState {
    return this.latest;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    this.options.logger.info({ clock: this.latest }, 'clock sync state read');
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<ClockSyncState> {
    const next = await readClockSync(this.options);
    if (next.state !== this.latest.state) {
      this.options.logger.info({ previous: this.latest.state, state: next.state, source: next.source }, 'clock sync state changed');
    }
    this.latest = next;
    return next;
  }
}

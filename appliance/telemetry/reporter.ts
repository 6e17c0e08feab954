import type { Logger } from '../common/logger.js';
import type { TelemetrySample } from '../mqtt/publisher.js';
import type { ClockSyncState } from './clock-sync.js';
import type { LatencyWindow } from './latency-window.js';
import { certificateExpiry } from '../../provisioning/pki/certificate.js';
import { readCpuTemperature, readFreeDisk } from './system.js';

/** Where the numbers of one telemetry message come from. */
export interface TelemetrySources {
  /** Frames analysed since the previous call. */
  takeFramesAnalysed(): number;
  latencies: LatencyWindow;
  outboxDepth(): number;
  /** Frames the camera dropped because the pipeline was busy, since start. */
  skippedFrames(): number;
  clock(): ClockSyncState;
  /** Folder whose file system's free space is reported. */
  stateDir: string;
  /** Thermal zone file; the first zone by default. */
  thermalFile?: string;
  /** Device TLS client certificate (PEM) whose days to expiry are reported; not reported without it. */
  certificateFile?: string;
}

export interface TelemetryReporterOptions {
  intervalMs: number;
  sources: TelemetrySources;
  publish(sample: TelemetrySample): 'sent' | 'offline' | 'invalid';
  logger: Logger;
  /** `performance.now()` at daemon start, for the uptime. */
  startedAtMs?: number;
}

/** Sends a telemetry message every interval: fps, stage latencies, outbox depth, CPU temperature, free disk, clock state. */
export class TelemetryReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastAtMs = performance.now();
  private readonly startedAtMs: number;

  constructor(private readonly options: TelemetryReporterOptions) {
    this.startedAtMs = options.startedAtMs ?? performance.now();
  }

  start(): void {
    this.lastAtMs = performance.now();
    this.timer = setInterval(() => void this.report(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Gather one sample and start a new interval. */
  async collect(): Promise<TelemetrySample> {
    const { sources } = this.options;
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.lastAtMs) / 1000);
    this.lastAtMs = now;
    const [cpuTempC, diskFree] = await Promise.all([readCpuTemperature(sources.thermalFile), readFreeDisk(sources.stateDir)]);
    return {
      fps: Math.round((sources.takeFramesAnalysed() / seconds) * 100) / 100,
      latenciesMs: sources.latencies.take(),
      outboxDepth: sources.outboxDepth(),
      cpuTempC,
      // NOTE: telemetry has no null for disk, so an unreadable state folder reports 0 bytes free.
      diskFreeBytes: diskFree ?? 0,
      clock: sources.clock(),
      skippedFrames: sources.skippedFrames(),
      uptimeS: Math.round((now - this.startedAtMs) / 1000),
      ...(sources.certificateFile === undefined ? {} : { certDaysLeft: this.certificateDaysLeft(sources.certificateFile) }),
    };
  }

  /** Days until `file` expires, or null (logged) when it cannot be read or parsed. */
  private certificateDaysLeft(file: string): number | null {
    try {
      // The schema bounds the field to 100 years either way; a longer-lived certificate reports the bound.
      return Math.max(-36_500, Math.min(36_500, certificateExpiry(file).daysLeft));
    } catch (error) {
      this.options.logger.warn({ err: error, file }, 'reading the device certificate for telemetry failed; certDaysLeft is null');
      return null;
    }
  }

  private async report(): Promise<void> {
    try {
      const sample = await this.collect();
      const outcome = this.options.publish(sample);
      this.options.logger.debug({ outcome, fps: sample.fps, outboxDepth: sample.outboxDepth, cpuTempC: sample.cpuTempC }, 'telemetry');
    } catch (error) {
      this.options.logger.error({ err: error }, 'collecting telemetry failed');
    }
  }
}

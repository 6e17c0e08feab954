import { z } from 'zod';
import { SCHEMA_VERSION, clock, deviceId, macauTime, nonNegativeInteger, siteId } from './fields.js';

/** Periodic health numbers (QoS 0, about once a minute). Lost telemetry is acceptable; lost events are not. */

const MAX_STAGES = 16;
const latencyMs = z.number().min(0).max(3_600_000);

/** Stage latency percentiles in milliseconds over the last reporting interval. */
export const stageLatency = z.strictObject({ p50: latencyMs, p95: latencyMs });

export const telemetry = z.strictObject({
  v: z.literal(SCHEMA_VERSION),
  deviceId,
  siteId,
  wallTime: macauTime,
  /** Frames per second that reached the detector. */
  fps: z.number().min(0).max(1000),
  /** Per pipeline stage (`detect`, `landmarks`, `embed`, ...). */
  latenciesMs: z
    .record(z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'stage names are 1 to 32 characters from a-z 0-9 _ -'), stageLatency)
    .refine((stages) => Object.keys(stages).length <= MAX_STAGES, `at most ${MAX_STAGES} stages`),
  /** Undelivered outbox rows. */
  outboxDepth: nonNegativeInteger,
  /** SoC temperature, or null where the board exposes none. */
  cpuTempC: z.number().min(-60).max(200).nullable(),
  diskFreeBytes: nonNegativeInteger,
  clock,
  /** Frames the capture stage dropped because the pipeline was busy, since start. */
  skippedFrames: nonNegativeInteger,
  /** Seconds since the daemon started. */
  uptimeS: z.number().min(0),
  /**
   * Whole days until the device's TLS client certificate expires (negative once it has expired),
   * or null when the daemon could not read it. Absent from firmware that does not report it.
   */
  certDaysLeft: z.number().int().min(-36_500).max(36_500).nullable().optional(),
});

export type Telemetry = z.infer<typeof telemetry>;

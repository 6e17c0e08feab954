import { describe, expect, it } from 'vitest';
import { deviceStatus } from './status.js';
import { telemetry } from './telemetry.js';
import { formatMacauTime } from './wall-time.js';

const status = {
  v: 1,
  deviceId: 'gate-01',
  siteId: 'mo-01',
  state: 'online',
  firmware: '0.1.0',
  models: { fr_detect: '6c0256cc' },
  since: formatMacauTime(),
  reason: 'connected',
};

const sample = {
  v: 1,
  deviceId: 'gate-01',
  siteId: 'mo-01',
  wallTime: formatMacauTime(),
  fps: 14.8,
  latenciesMs: { detect: { p50: 21.5, p95: 40.1 }, embed: { p50: 30, p95: 55 } },
  outboxDepth: 0,
  cpuTempC: null,
  diskFreeBytes: 12_000_000_000,
  clock: { state: 'unsynced' },
  skippedFrames: 3,
  uptimeS: 3600,
};

describe('status schema', () => {
  it('accepts online and Last Will offline', () => {
    expect(deviceStatus.safeParse(status).success).toBe(true);
    expect(deviceStatus.safeParse({ ...status, state: 'offline', since: null, reason: 'connection-lost' }).success).toBe(true);
  });

  it('rejects extra keys and unknown states', () => {
    expect(deviceStatus.safeParse({ ...status, ip: '10.0.0.5' }).success).toBe(false);
    expect(deviceStatus.safeParse({ ...status, state: 'sleeping' }).success).toBe(false);
    expect(deviceStatus.safeParse({ ...status, firmware: 'x'.repeat(49) }).success).toBe(false);
  });
});

describe('telemetry schema', () => {
  it('accepts a full sample', () => {
    expect(telemetry.safeParse(sample).success).toBe(true);
    expect(telemetry.safeParse({ ...sample, cpuTempC: 61.2 }).success).toBe(true);
  });

  it('takes optional certificate days', () => {
    expect(telemetry.safeParse({ ...sample, certDaysLeft: 29 }).success).toBe(true);
    expect(telemetry.safeParse({ ...sample, certDaysLeft: -3 }).success).toBe(true);
    expect(telemetry.safeParse({ ...sample, certDaysLeft: null }).success).toBe(true);
  });

  it.each([
    ['extra key', { frame: 'x' }],
    ['negative depth', { outboxDepth: -1 }],
    ['fractional depth', { outboxDepth: 1.5 }],
    ['array fps', { fps: [1, 2] }],
    ['extra percentile', { latenciesMs: { detect: { p50: 1, p95: 2, p99: 3 } } }],
    ['uppercase stage', { latenciesMs: { Detect: { p50: 1, p95: 2 } } }],
    ['unknown clock state', { clock: { state: 'drifting' } }],
    ['fractional certificate days', { certDaysLeft: 12.5 }],
    ['certificate days as text', { certDaysLeft: '12' }],
    ['certificate days beyond 100 years', { certDaysLeft: 36_501 }],
  ])('rejects %s', (_, change) => {
    expect(telemetry.safeParse({ ...sample, ...change }).success).toBe(false);
  });

  it('bounds the number of stages', () => {
    const stages = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`s${i}`, { p50: 1, p95: 2 }]));
    expect(telemetry.safeParse({ ...sample, latenciesMs: stages }).success).toBe(false);
  });
});

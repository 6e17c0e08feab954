import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { telemetry as telemetrySchema } from '../../protocol/telemetry.js';
import { captureLogs } from '../../test/support/logs.js';
import { readClockSync } from './clock-sync.js';
import { LatencyWindow } from './latency-window.js';
import { TelemetryReporter } from './reporter.js';
import { readCpuTemperature, readFreeDisk } from './system.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-telemetry-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A stand-in timedatectl that prints `output` and exits with `code`. */
function fakeTimedatectl(name: string, output: string, code = 0): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho '${output}'\nexit ${code}\n`, { mode: 0o755 });
  return file;
}

describe('readClockSync', () => {
  const noFile = path.join(dir, 'absent');

  it('reports synced when timedatectl says yes', async () => {
    expect(await readClockSync({ timedatectl: fakeTimedatectl('yes', 'yes'), syncedFile: noFile })).toEqual({ state: 'synced', source: 'ntp' });
  });

  it('reports unsynced when timedatectl says no', async () => {
    expect(await readClockSync({ timedatectl: fakeTimedatectl('no', 'no'), syncedFile: noFile })).toEqual({ state: 'unsynced' });
  });

  it('falls back to the timesyncd file', async () => {
    const synced = path.join(dir, 'synchronized');
    fs.writeFileSync(synced, '');
    const failing = fakeTimedatectl('failing', 'Failed to connect to bus', 1);
    expect(await readClockSync({ timedatectl: failing, syncedFile: synced })).toEqual({ state: 'synced', source: 'ntp' });
  });

  it('reports unknown with neither source', async () => {
    expect(await readClockSync({ timedatectl: path.join(dir, 'missing-tool'), syncedFile: noFile })).toEqual({ state: 'unknown' });
  });
});

describe('system readings', () => {
  it('reads a thermal zone in degrees', async () => {
    const zone = path.join(dir, 'temp');
    fs.writeFileSync(zone, '48312\n');
    expect(await readCpuTemperature(zone)).toBe(48.3);
  });

  it('returns null without a thermal zone', async () => {
    expect(await readCpuTemperature(path.join(dir, 'no-zone'))).toBeNull();
  });

  it('reads free disk space', async () => {
    const free = await readFreeDisk(dir);
    expect(free).toBeGreaterThan(0);
    expect(await readFreeDisk(path.join(dir, 'no-such-folder'))).toBeNull();
  });
});

describe('LatencyWindow', () => {
  it('returns percentiles and starts over', () => {
    const window = new LatencyWindow();
    for (let ms = 1; ms <= 100; ms++) window.record('detect', ms);
    window.record('embed', 12);
    expect(window.take()).toEqual({ detect: { p50: 50, p95: 95 }, embed: { p50: 12, p95: 12 } });
    expect(window.take()).toEqual({});
  });

  it('ignores invalid samples', () => {
    const window = new LatencyWindow();
    window.record('detect', Number.NaN);
    window.record('detect', -1);
    expect(window.take()).toEqual({});
  });
});

describe('TelemetryReporter', () => {
  it('builds a sample the schema accepts', async () => {
    const latencies = new LatencyWindow();
    latencies.record('detect', 11);
    const zone = path.join(dir, 'zone-for-sample');
    fs.writeFileSync(zone, '51000');
    const reporter = new TelemetryReporter({
      intervalMs: 60_000,
      logger: captureLogs().logger,
      publish: () => 'sent',
      sources: {
        takeFramesAnalysed: () => 0,
        latencies,
        outboxDepth: () => 7,
        skippedFrames: () => 3,
        clock: () => ({ state: 'unknown' }),
        stateDir: dir,
        thermalFile: zone,
      },
    });
    const sample = await reporter.collect();
    expect(sample).toMatchObject({ outboxDepth: 7, skippedFrames: 3, cpuTempC: 51, latenciesMs: { detect: { p50: 11, p95: 11 } } });
    const message = { v: 1, deviceId: 'gate-01', siteId: 'site-1', wallTime: '2026-12-04T20:16:19.123+08:00', ...sample };
    expect(telemetrySchema.safeParse(message).success).toBe(true);
  });
});

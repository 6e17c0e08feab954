import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../appliance/common/logger.js';
import { AlertManager } from './alerts.js';
import { CERTIFICATE_ALERT_DAYS, Presence } from './presence.js';
import { FleetStore } from './store.js';

const PARTS = { siteId: 'mo-01', deviceId: 'gate-01', channel: 'telemetry' } as const;

function telemetry(certDaysLeft: number | null | undefined): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: 1,
      deviceId: 'gate-01',
      siteId: 'mo-01',
      wallTime: '2026-12-04T10:00:00.000+08:00',
      fps: 10,
      latenciesMs: {},
      outboxDepth: 0,
      cpuTempC: null,
      diskFreeBytes: 1_000_000,
      clock: { state: 'synced', source: 'ntp' },
      skippedFrames: 0,
      uptimeS: 60,
      ...(certDaysLeft === undefined ? {} : { certDaysLeft }),
    }),
  );
}

describe('presence certificate alert', () => {
  let dir: string;
  let store: FleetStore;
  let presence: Presence;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-presence-'));
    store = await FleetStore.open({ sqlite: path.join(dir, 'fleet.db') });
    const alerts = new AlertManager(store, silentLogger());
    presence = new Presence({ store, alerts, logger: silentLogger(), telemetryTimeoutMs: 180_000, outboxBacklog: 1000 });
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = async () => (await store.alerts({ openOnly: true })).filter((alert) => alert.kind === 'certificate.expiring');

  it('raises below the threshold, once', async () => {
    await presence.handleTelemetry(PARTS, telemetry(CERTIFICATE_ALERT_DAYS - 1));
    await presence.handleTelemetry(PARTS, telemetry(CERTIFICATE_ALERT_DAYS - 2));
    const alerts = await open();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain('expires in 29 days');
  });

  it('resolves once renewed', async () => {
    await presence.handleTelemetry(PARTS, telemetry(-2));
    expect((await open())[0]!.message).toContain('expired 2 days ago');
    await presence.handleTelemetry(PARTS, telemetry(397));
    expect(await open()).toHaveLength(0);
  });

  it('ignores samples without the field', async () => {
    await presence.handleTelemetry(PARTS, telemetry(undefined));
    await presence.handleTelemetry(PARTS, telemetry(null));
    expect(await open()).toHaveLength(0);
  });

  it('stays quiet at the threshold', async () => {
    await presence.handleTelemetry(PARTS, telemetry(CERTIFICATE_ALERT_DAYS));
    expect(await open()).toHaveLength(0);
  });
});

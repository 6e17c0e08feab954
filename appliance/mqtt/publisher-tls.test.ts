import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../../test/support/device.js';
import { freePort, startBroker, type TestBroker } from '../../test/support/mosquitto.js';
import { sleep, waitUntil } from '../../test/support/wait.js';
import type { PublisherEvents } from './publisher.js';

const SITE = 'mo-taipa-01';
let broker: TestBroker;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-tls-'));
  broker = await startBroker({ devices: [{ id: 'gate-31', site: SITE }], rogueClients: ['gate-31'] });
});

afterAll(async () => {
  await broker?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

function recordEvents(device: ReturnType<typeof createTestDevice>) {
  const connecting: number[] = [];
  const errors: Array<PublisherEvents['error']> = [];
  const disconnects: Array<PublisherEvents['disconnected']> = [];
  device.publisher.on('connecting', ({ attempt }) => connecting.push(attempt));
  device.publisher.on('error', (event) => errors.push(event));
  device.publisher.on('disconnected', (event) => disconnects.push(event));
  return { connecting, errors, disconnects };
}

describe('MqttPublisher TLS failures', () => {
  it('logs a wrong server CA once, keeps retrying and never counts as connected', async () => {
    const gate = createTestDevice({ broker, dir: fs.mkdtempSync(path.join(dir, 's-')), deviceId: 'gate-31', siteId: SITE, caFile: broker.pki.rogueCaFile, publisher: { backoff: { baseMs: 20, maxMs: 100 } } });
    await gate.enqueueEvents(3);
    const seen = recordEvents(gate);
    let everConnected = false;
    gate.publisher.on('connected', () => (everConnected = true));

    gate.publisher.start();
    await waitUntil(() => seen.connecting.length >= 4, 5_000, 'four connection attempts');
    expect(everConnected).toBe(false);
    expect(gate.publisher.connected).toBe(false);

    const errors = gate.logs.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe(
      `cannot connect: the broker ${broker.url} presented a certificate that is not signed by the CA in ${broker.pki.rogueCaFile} (self-signed certificate in certificate chain)`,
    );
    expect(errors[0]!.hint).toContain('mqtt.tls.ca');
    expect(seen.errors).toHaveLength(1);
    expect(seen.disconnects.every((event) => event.reason === 'connect-failed')).toBe(true);
    // Later identical failures are still recorded, at debug level with a count.
    expect(gate.logs.lines().filter((line) => line.level === 20 && line.msg.startsWith('cannot connect')).length).toBeGreaterThanOrEqual(2);

    const report = await gate.publisher.stop({ timeoutMs: 1_000 });
    expect(report).toEqual({ drained: false, pending: 3, clean: false });
    await gate.outbox.close();
  });

  it('logs a client certificate from an untrusted CA', async () => {
    const gate = createTestDevice({ broker, dir: fs.mkdtempSync(path.join(dir, 's-')), deviceId: 'gate-31', siteId: SITE, rogueCertificate: true });
    const seen = recordEvents(gate);
    gate.publisher.start();
    await waitUntil(() => gate.logs.errors().length >= 1, 5_000, 'the error line');
    expect(gate.logs.errors()[0]!.msg).toMatch(/^cannot connect: the broker .* rejected the device certificate .*rogue-client-gate-31\.crt .*unknown ca/);
    expect(seen.errors[0]!.context).toBe('connect');
    expect(gate.publisher.connected).toBe(false);
    await gate.close();
  });

  it('warns when nothing listens at the broker address', async () => {
    const port = await freePort();
    const gate = createTestDevice({ broker, dir: fs.mkdtempSync(path.join(dir, 's-')), deviceId: 'gate-31', siteId: SITE, publisher: { url: `mqtts://127.0.0.1:${port}`, backoff: { baseMs: 20, maxMs: 50 } } });
    const seen = recordEvents(gate);
    gate.publisher.start();
    await waitUntil(() => seen.connecting.length >= 3, 5_000, 'three attempts');
    await sleep(50);
    const warnings = gate.logs.lines().filter((line) => line.level === 40);
    expect(warnings[0]!.msg).toBe(`cannot connect: nothing accepts connections at mqtts://127.0.0.1:${port}`);
    expect(gate.logs.errors()).toEqual([]);
    // Network failures are expected while offline, so they do not raise the error event.
    expect(seen.errors).toEqual([]);
    await gate.close();
  });
});

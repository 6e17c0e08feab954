import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDevice } from '../../test/support/device.js';
import { startBroker, type TestBroker } from '../../test/support/mosquitto.js';
import { sleep, waitUntil } from '../../test/support/wait.js';
import type { PublisherEvents } from './publisher.js';

const SITE = 'mo-taipa-01';
let broker: TestBroker;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-takeover-'));
  broker = await startBroker({ devices: [{ id: 'gate-21', site: SITE }] });
});

afterAll(async () => {
  await broker?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

function twin(name: string, backoff: { baseMs: number; maxMs: number }) {
  const device = createTestDevice({
    broker,
    dir: fs.mkdtempSync(path.join(dir, `${name}-`)),
    deviceId: 'gate-21',
    siteId: SITE,
    publisher: { backoff, stableAfterMs: 10_000 },
  });
  const connecting: number[] = [];
  const disconnects: Array<PublisherEvents['disconnected']> = [];
  device.publisher.on('connecting', () => connecting.push(Date.now()));
  device.publisher.on('disconnected', (event) => disconnects.push(event));
  return { device, connecting, disconnects };
}

describe('session takeover', () => {
  it('stops two publishers with one certificate from fighting over the session', async () => {
    const backoff = { baseMs: 20, maxMs: 1_500 };
    const first = twin('first', backoff);
    const second = twin('second', backoff);
    first.device.publisher.start();
    await first.device.publisher.waitUntilConnected(5_000);
    second.device.publisher.start();

    const windowMs = 4_000;
    await sleep(windowMs);
    const attempts = first.connecting.length + second.connecting.length;
    // Reconnecting after the 20 ms base would take the session back dozens of times a second.
    // Backing off to the 1.5 s maximum allows about one attempt per publisher per 1.5 s.
    expect(attempts).toBeLessThanOrEqual(10);

    for (const side of [first, second]) {
      const takeoverErrors = side.device.logs.errors().filter((line) => line.msg.includes('took over the session'));
      expect(takeoverErrors).toHaveLength(1);
      expect(takeoverErrors[0]!.msg).toContain('client id gate-21');
      expect(takeoverErrors[0]!.msg).toContain('retrying every 1.5 s');
      expect(takeoverErrors[0]!.clientId).toBe('gate-21');
      const takeovers = side.disconnects.filter((event) => event.reason === 'session-taken-over');
      expect(takeovers.length).toBeGreaterThanOrEqual(1);
      expect(takeovers.every((event) => event.retryInMs === 1_500)).toBe(true);
    }
    expect(broker.logs()).toContain('Client gate-21 already connected, closing old connection.');

    await Promise.all([first.device.close(), second.device.close()]);
  });

  it('backs off to the maximum at once on DISCONNECT 0x8E', async () => {
    // Mosquitto 2.0.11 sends no reason code on takeover, so a scripted TLS server plays a broker
    // that does (Mosquitto 2.0.15 and later, EMQX, HiveMQ): CONNACK, then DISCONNECT 0x8E.
    const connections: number[] = [];
    const server = tls.createServer(
      {
        cert: fs.readFileSync(broker.pki.server.cert),
        key: fs.readFileSync(broker.pki.server.key),
        ca: fs.readFileSync(broker.caFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        connections.push(Date.now());
        socket.on('error', () => undefined);
        socket.once('data', () => {
          socket.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])); // CONNACK: success, no properties
          setTimeout(() => socket.end(Buffer.from([0xe0, 0x02, 0x8e, 0x00])), 100); // DISCONNECT: 0x8E, no properties
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    const device = createTestDevice({
      broker,
      dir: fs.mkdtempSync(path.join(dir, 'scripted-')),
      deviceId: 'gate-21',
      siteId: SITE,
      publisher: { url: `mqtts://127.0.0.1:${port}`, backoff: { baseMs: 20, maxMs: 700 } },
    });
    const disconnects: Array<PublisherEvents['disconnected']> = [];
    device.publisher.on('disconnected', (event) => disconnects.push(event));
    device.publisher.start();
    await waitUntil(() => disconnects.length >= 2, 5_000, 'two takeovers');

    expect(disconnects[0]).toMatchObject({ reason: 'session-taken-over', reasonCode: 0x8e, retryInMs: 700 });
    expect(disconnects[1]).toMatchObject({ reason: 'session-taken-over', retryInMs: 700 });
    expect(connections[1]! - connections[0]!).toBeGreaterThanOrEqual(700);
    const errors = device.logs.errors();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain('the broker sent DISCONNECT 0x8E (Session taken over)');

    await device.close();
    await new Promise((resolve) => server.close(resolve));
  });
});

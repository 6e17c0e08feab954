import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openEvent, type RegisteredSigner } from '../../protocol/envelope.js';
import { deviceStatus } from '../../protocol/status.js';
import { telemetry } from '../../protocol/telemetry.js';
import { createTestDevice, type TestDevice } from '../../test/support/device.js';
import { connectFleetClient, type FleetClient } from '../../test/support/fleet-client.js';
import { startBroker, type TestBroker } from '../../test/support/mosquitto.js';
import { sleep, waitUntil } from '../../test/support/wait.js';
import type { Delivery, Rejection } from './drain.js';

const SITE = 'mo-taipa-01';
let dir: string;
let broker: TestBroker;
let fleet: FleetClient;
const devices: TestDevice[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-publisher-'));
  broker = await startBroker({
    devices: [
      { id: 'gate-01', site: SITE },
      { id: 'gate-02', site: SITE },
      { id: 'gate-03', site: SITE },
      { id: 'gate-04', site: SITE },
    ],
  });
  fleet = await connectFleetClient(broker, { filters: ['facegate/v1/#'] });
});

afterAll(async () => {
  await fleet?.close();
  await broker?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
});

function device(deviceId: string, options: Partial<Parameters<typeof createTestDevice>[0]> = {}): TestDevice {
  // A fresh state folder per device, so no test finds rows another left behind.
  const stateDir = fs.mkdtempSync(path.join(dir, 'state-'));
  const created = createTestDevice({ broker, dir: stateDir, deviceId, siteId: SITE, ...options });
  devices.push(created);
  return created;
}

function messagesOn(topic: string) {
  return fleet.messages.filter((message) => message.topic === topic);
}

describe('MqttPublisher delivery', () => {
  it('delivers pending rows and marks them delivered on PUBACK', async () => {
    const gate = device('gate-01');
    const rows = await gate.enqueueEvents(40);
    const delivered: Delivery[] = [];
    gate.publisher.on('delivered', (delivery) => delivered.push(delivery));
    expect(gate.publisher.connected).toBe(false);

    gate.publisher.start();
    await gate.publisher.waitUntilConnected(5_000);
    expect(gate.publisher.connected).toBe(true);
    await fleet.waitFor(() => messagesOn(gate.publisher.topics.events).length >= 40, 10_000, '40 events');
    await waitUntil(() => delivered.length === 40, 5_000, 'delivered marks');

    expect(gate.outbox.depth()).toBe(0);
    expect(gate.outbox.pending(100)).toEqual([]);
    expect(delivered.map((delivery) => delivery.seq)).toEqual(rows.map((row) => row.seq));
    expect(delivered.every((delivery) => delivery.commitToAckMs >= 0 && delivery.attempts === 1)).toBe(true);

    // The fleet can open what arrived, and it is exactly what was committed.
    const registry = new Map<string, RegisteredSigner>([[gate.keys.device.kid, { publicKey: gate.keys.device.publicKey, deviceId: 'gate-01', siteId: SITE }]]);
    const received = messagesOn(gate.publisher.topics.events);
    const opened = await Promise.all(
      received.map((message) =>
        openEvent(message.payload, { fleetPrivateKey: gate.keys.fleet.privateKey, resolveDeviceKey: (kid) => registry.get(kid), topic: message.topic }),
      ),
    );
    expect(opened.map((event) => event.payload.eventId)).toEqual(rows.map((row) => row.id));
    expect(received[0]!.packet.properties?.contentType).toBe('application/jose');
  });

  it('sends rows committed while connected without waiting for a rescan', async () => {
    const gate = device('gate-01');
    gate.publisher.start();
    await gate.publisher.waitUntilConnected(5_000);
    const before = messagesOn(gate.publisher.topics.events).length;
    const [row] = await gate.enqueueEvents(1);
    await fleet.waitFor(() => messagesOn(gate.publisher.topics.events).length > before, 2_000, 'the new event');
    await waitUntil(() => gate.outbox.depth() === 0, 2_000, 'the delivered mark');
    expect(gate.outbox.markDelivered(row!.id)).toBe(false);
  });

  it('publishes retained online status at CONNACK and offline at stop', async () => {
    const gate = device('gate-02');
    gate.publisher.start();
    await gate.publisher.waitUntilConnected(5_000);
    await fleet.waitFor(() => messagesOn(gate.publisher.topics.status).length >= 1, 5_000, 'online status');
    const online = deviceStatus.parse(JSON.parse(messagesOn(gate.publisher.topics.status).at(-1)!.payload));
    expect(online).toMatchObject({ state: 'online', reason: 'connected', deviceId: 'gate-02', siteId: SITE, firmware: '0.1.0-test' });
    expect(online.since).toMatch(/\+08:00$/);

    const report = await gate.publisher.stop();
    expect(report).toEqual({ drained: true, pending: 0, clean: true });
    expect(gate.publisher.connected).toBe(false);
    await fleet.waitFor(() => messagesOn(gate.publisher.topics.status).length >= 2, 5_000, 'offline status');
    const offline = deviceStatus.parse(JSON.parse(messagesOn(gate.publisher.topics.status).at(-1)!.payload));
    expect(offline).toMatchObject({ state: 'offline', reason: 'stopped' });

    // A subscriber that arrives later gets the retained offline status.
    const late = await connectFleetClient(broker, { filters: [gate.publisher.topics.status] });
    await late.waitFor((messages) => messages.length === 1, 5_000, 'retained status');
    expect(late.messages[0]!.retain).toBe(true);
    expect(JSON.parse(late.messages[0]!.payload)).toMatchObject({ state: 'offline', reason: 'stopped' });
    await late.close();
  });
});

describe('MqttPublisher and the broker ACL', () => {
  it('keeps a row the broker rejects with 0x87 and logs it', async () => {
    const gate = device('gate-03');
    // A row for another device's topic: the ACL lets gate-03 write only under its own prefix.
    const [foreign] = await gate.enqueueEvents(1, { deviceId: 'gate-04' });
    const [own] = await gate.enqueueEvents(1);
    const rejected: Rejection[] = [];
    gate.publisher.on('rejected', (rejection) => rejected.push(rejection));

    gate.publisher.start();
    await waitUntil(() => rejected.length === 1, 5_000, 'the rejection');
    await waitUntil(() => gate.outbox.depth() === 1, 5_000, 'the own event delivered');

    expect(rejected[0]).toMatchObject({ id: foreign!.id, reasonCode: 0x87, reason: 'Not authorized', topic: 'facegate/v1/mo-taipa-01/gate-04/events' });
    expect(gate.outbox.pending(10).map((row) => row.id)).toEqual([foreign!.id]);
    expect(gate.outbox.markDelivered(own!.id)).toBe(false);
    const errors = gate.logs.errors().filter((line) => line.msg.includes('rejected'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toContain('Not authorized (0x87); it stays in the outbox');
  });

  it('retries a rejected row at the next rescan and logs the repeat at debug', async () => {
    const gate = device('gate-03', { publisher: { rescanIntervalMs: 200 } });
    await gate.enqueueEvents(1, { deviceId: 'gate-04' });
    const rejected: Rejection[] = [];
    gate.publisher.on('rejected', (rejection) => rejected.push(rejection));
    gate.publisher.start();
    await waitUntil(() => rejected.length >= 3, 5_000, 'three rejections');
    expect(gate.logs.errors().filter((line) => line.msg.includes('rejected'))).toHaveLength(1);
    expect(gate.outbox.pending(10)[0]!.attempts).toBeGreaterThanOrEqual(2);
  });
});

describe('MqttPublisher telemetry and commands', () => {
  const sample = {
    fps: 14.5,
    latenciesMs: { detect: { p50: 20, p95: 41 } },
    outboxDepth: 0,
    cpuTempC: 55.5,
    diskFreeBytes: 1_000_000,
    clock: { state: 'synced' as const, source: 'ntp' },
    skippedFrames: 0,
    uptimeS: 12,
  };

  it('publishes telemetry at QoS 0 only while connected', async () => {
    const gate = device('gate-01');
    expect(gate.publisher.publishTelemetry(sample)).toBe('offline');
    gate.publisher.start();
    await gate.publisher.waitUntilConnected(5_000);
    expect(gate.publisher.publishTelemetry(sample)).toBe('sent');
    await fleet.waitFor(() => messagesOn(gate.publisher.topics.telemetry).length >= 1, 5_000, 'telemetry');
    const received = messagesOn(gate.publisher.topics.telemetry).at(-1)!;
    expect(received.packet.qos).toBe(0);
    expect(telemetry.parse(JSON.parse(received.payload))).toMatchObject({ deviceId: 'gate-01', fps: 14.5 });
  });

  it('refuses a telemetry sample that fails the schema', () => {
    const gate = device('gate-01');
    expect(gate.publisher.publishTelemetry({ ...sample, fps: -1 })).toBe('invalid');
    expect(gate.logs.errors()[0]!.msg).toContain('telemetry sample fails the schema');
  });

  it('receives its own commands and never another device', async () => {
    const gate = device('gate-02');
    const received: string[] = [];
    gate.publisher.subscribe(gate.publisher.topics.commandFilter, (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    // Mosquitto 2.0.11 grants this subscription and applies the read ACL when it delivers.
    gate.publisher.subscribe('facegate/v1/mo-taipa-01/gate-01/cmd/#', (topic) => received.push(`foreign ${topic}`));
    gate.publisher.start();
    await gate.publisher.waitUntilConnected(5_000);
    await broker.waitForLog(/gate-02 1 facegate\/v1\/mo-taipa-01\/gate-01\/cmd\/#/, 5_000);

    await fleet.publish('facegate/v1/mo-taipa-01/gate-01/cmd/reboot', 'not-for-gate-02');
    await fleet.publish(gate.publisher.topics.command('reboot'), 'signed-command');
    await waitUntil(() => received.length >= 1, 5_000, 'the command');
    await sleep(200);
    expect(received).toEqual(['facegate/v1/mo-taipa-01/gate-02/cmd/reboot signed-command']);
  });
});

describe('MqttPublisher kept session', () => {
  it('holds commands sent while stopped until a handler subscribes', async () => {
    const first = device('gate-03', { publisher: { sessionExpirySeconds: 600 } });
    const unsubscribe = first.publisher.subscribe(first.publisher.topics.commandFilter, () => undefined);
    first.publisher.start();
    await first.publisher.waitUntilConnected(5_000);
    await broker.waitForLog(/gate-03 1 facegate\/v1\/mo-taipa-01\/gate-03\/cmd\/#/, 5_000);
    unsubscribe();
    await first.publisher.stop({ timeoutMs: 5_000 });

    await fleet.publish(first.publisher.topics.command('ping'), 'sent-while-stopped');
    const second = device('gate-03', { publisher: { sessionExpirySeconds: 600 } });
    second.publisher.start();
    await second.publisher.waitUntilConnected(5_000);
    await sleep(300);
    const received: string[] = [];
    second.publisher.subscribe(second.publisher.topics.commandFilter, (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    await waitUntil(() => received.length >= 1, 5_000, 'the held command');
    expect(received).toEqual(['facegate/v1/mo-taipa-01/gate-03/cmd/ping sent-while-stopped']);
  });
});

describe('MqttPublisher construction', () => {
  it('takes the client id from the certificate CN', () => {
    const gate = device('gate-04');
    expect(gate.publisher.clientId).toBe('gate-04');
    expect(gate.publisher.topics.events).toBe('facegate/v1/mo-taipa-01/gate-04/events');
  });

  it('rejects a broker URL without TLS', () => {
    expect(() => device('gate-04', { publisher: { url: `mqtt://127.0.0.1:${broker.port}` } })).toThrow('not mqtts');
  });

  it('rejects a missing certificate with the file name', () => {
    expect(() =>
      device('gate-04', { publisher: { tls: { caFile: broker.caFile, certFile: '/nonexistent/gate.crt', keyFile: '/nonexistent/gate.key' } } }),
    ).toThrow('/nonexistent/gate.crt');
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEvent, type RegisteredSigner } from '../../protocol/envelope.js';
import { deviceStatus } from '../../protocol/status.js';
import { createTestDevice } from '../../test/support/device.js';
import { envelopeTestKeys } from '../../test/support/events.js';
import { connectFleetClient } from '../../test/support/fleet-client.js';
import { startBroker, type TestBroker } from '../../test/support/mosquitto.js';
import { waitUntil } from '../../test/support/wait.js';
import type { PublisherEvents } from './publisher.js';

const SITE = 'mo-cotai-02';
let broker: TestBroker;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-outage-'));
  // Persistence keeps the fleet subscriber's session across restart(), as a production broker does.
  broker = await startBroker({ devices: [{ id: 'gate-11', site: SITE }, { id: 'gate-12', site: SITE }], persistence: true });
});

afterAll(async () => {
  await broker?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('broker outage', () => {
  it('delivers every event committed before and during an outage', async () => {
    const keys = envelopeTestKeys();
    const fleet = await connectFleetClient(broker, { clientId: 'fleet-outage', persistentSession: true, filters: ['facegate/v1/+/+/events'] });
    const gate = createTestDevice({ broker, dir, deviceId: 'gate-11', siteId: SITE, keys, publisher: { rateLimit: { messagesPerSecond: 400, burst: 20 } } });
    const disconnects: Array<PublisherEvents['disconnected']> = [];
    gate.publisher.on('disconnected', (event) => disconnects.push(event));

    // Stop the broker while the first 400 are still draining (a second at 400/s), so some are in
    // flight when it goes.
    const committed = await gate.enqueueEvents(400);
    gate.publisher.start();
    await waitUntil(() => fleet.messages.length >= 40, 5_000, 'the drain to be under way');
    await broker.stop();
    await waitUntil(() => !gate.publisher.connected, 5_000, 'the publisher to notice');
    const sentBeforeStop = fleet.messages.length;
    expect(sentBeforeStop).toBeLessThan(400);

    // 500 more while the broker is down: each commits, none is sent.
    committed.push(...(await gate.enqueueEvents(500)));
    expect(gate.outbox.depth()).toBeGreaterThan(500);
    expect(disconnects.some((event) => event.reason === 'connect-failed')).toBe(true);

    await broker.start();
    await fleet.waitFor((messages) => new Set(messages.map((message) => message.payload)).size >= 900, 20_000, '900 events');
    await waitUntil(() => gate.outbox.depth() === 0, 5_000, 'the outbox to empty');

    const registry = new Map<string, RegisteredSigner>([[keys.device.kid, { publicKey: keys.device.publicKey, deviceId: 'gate-11', siteId: SITE }]]);
    const opened = await Promise.all(
      fleet.messages.map((message) =>
        openEvent(message.payload, { fleetPrivateKey: keys.fleet.privateKey, resolveDeviceKey: (kid) => registry.get(kid), topic: message.topic }),
      ),
    );
    const receivedIds = opened.map((event) => event.payload.eventId);
    const unique = new Set(receivedIds);
    expect(unique.size).toBe(900);
    expect([...unique].sort()).toEqual(committed.map((row) => row.id).sort());
    // Any extra copy is a resend of an event already received: same id, same seq, same content.
    const bySeq = new Map(opened.map((event) => [event.payload.seq, event.payload.eventId]));
    expect(bySeq.size).toBe(900);
    for (const event of opened) expect(bySeq.get(event.payload.seq)).toBe(event.payload.eventId);

    await gate.close();
    await fleet.close();
  });

  it('lets the broker publish the retained Last Will when the device process dies', async () => {
    const fleet = await connectFleetClient(broker, { filters: ['facegate/v1/+/gate-12/status'] });
    const pair = broker.clientCert('gate-12');
    const settings = { url: broker.url, caFile: broker.caFile, certFile: pair.cert, keyFile: pair.key, siteId: SITE, stateDir: path.join(dir, 'child') };
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/publisher-child.ts', JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(() => output.includes('connected'), 15_000, 'the child publisher to connect');
    await fleet.waitFor((messages) => messages.some((message) => message.payload.includes('"online"')), 5_000, 'online status');

    // SIGKILL: the socket closes without DISCONNECT, as on power loss.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await fleet.waitFor((messages) => messages.some((message) => message.payload.includes('"offline"')), 5_000, 'the Last Will');
    const will = deviceStatus.parse(JSON.parse(fleet.messages.at(-1)!.payload));
    expect(will).toMatchObject({ state: 'offline', reason: 'connection-lost', since: null, deviceId: 'gate-12' });
    await fleet.close();

    // The will is retained: a subscriber that arrives later gets the offline status.
    const late = await connectFleetClient(broker, { filters: ['facegate/v1/+/gate-12/status'] });
    await late.waitFor((messages) => messages.length === 1, 5_000, 'the retained status');
    expect(late.messages[0]!.retain).toBe(true);
    expect(JSON.parse(late.messages[0]!.payload)).toMatchObject({ state: 'offline', reason: 'connection-lost' });
    await late.close();
  });
});

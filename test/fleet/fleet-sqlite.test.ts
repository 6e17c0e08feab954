import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAuditReader } from '../../appliance/audit/source.js';
import { verifyChain } from '../../appliance/audit/verify.js';
import type { FleetMonitor } from '../../fleet/monitor.js';
import { sealEvent } from '../../protocol/envelope.js';
import { generateSigningKeyPair, keyId } from '../../protocol/keys.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { envelopeTestKeys, sampleEvent } from '../support/events.js';
import { startBroker, type TestBroker } from '../support/mosquitto.js';
import { createTestFleet } from './support/fleet.js';
import { createSimDevice, type SimDevice } from './support/sim-device.js';

const SITE = 'mo-taipa-01';
const fleetKeys = envelopeTestKeys().fleet;
let broker: TestBroker;
let root: string;
let gates: SimDevice[] = [];
let monitor: FleetMonitor;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const store = () => monitor.fleetStore;
const alertsOf = async (kind: string) => (await store().alerts()).filter((alert) => alert.kind === kind);

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-fleet-'));
  fs.chmodSync(root, 0o755);
  broker = await startBroker({ dir: path.join(root, 'broker'), devices: [{ id: 'gate-01', site: SITE }, { id: 'gate-02', site: SITE }, { id: 'gate-03', site: SITE }] });
  gates = ['gate-01', 'gate-02'].map((deviceId) => createSimDevice({ broker, dir: path.join(root, 'devices'), deviceId, siteId: SITE, fleet: fleetKeys, checkpointEvery: 5 }));
  const third = { deviceId: 'gate-03', siteId: SITE, keys: { device: { ...generateSigningKeyPair(), kid: '' }, fleet: fleetKeys } };
  third.keys.device.kid = keyId(third.keys.device.publicKey);
  monitor = createTestFleet({ broker, dir: path.join(root, 'fleet'), fleet: fleetKeys, devices: [...gates, third], store: { sqlite: path.join(root, 'fleet', 'fleet.db') }, clientId: 'fleet-a' });
  await monitor.start();
  for (const gate of gates) gate.start();
}, 60_000);

afterAll(async () => {
  for (const gate of gates) await gate.close();
  await monitor?.stop();
  await broker?.cleanup();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('fleet monitor on SQLite', () => {
  it('stores events and verifies audit chains', async () => {
    const [a, b] = gates as [SimDevice, SimDevice];
    const day = '2026-12-02';
    const at = (time: string) => formatMacauTime(Date.parse(`${day}T${time}+08:00`));
    await a.clockIn('sub_W001', { wallTime: at('08:01:00'), direction: 'in' });
    await b.clockIn('sub_W001', { wallTime: at('08:30:00'), direction: 'in' });
    await a.clockIn('sub_W001', { wallTime: at('17:45:00'), direction: 'out' });
    await a.clockIn('sub_W002', { wallTime: at('09:00:00'), direction: 'in' });
    await b.clockIn('sub_W003', { wallTime: at('09:05:00'), direction: 'in', decision: 'denied', doorActuated: false });
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? a : b).clockIn(`sub_X${i}`);
    for (const gate of gates) await gate.shipper.checkpointNow();

    await until(async () => (await store().counts()).events === 15, '15 events stored');
    await until(async () => (await store().devices()).filter((d) => d.verified_seq !== null && d.verified_seq >= 7).length === 2, 'both chains verified');
    const devices = await store().devices();
    for (const gate of gates) {
      const row = devices.find((device) => device.device_id === gate.deviceId)!;
      expect(row.state).toBe('online');
      expect(row.firmware).toBe('0.1.0-test');
      expect(row.verified_seq).toBe(gate.audit.head().size);
      expect(row.broken_seq).toBeNull();
    }
    const checkpoints = await store().db.query<{ status: string }>('SELECT status FROM audit_checkpoints');
    expect(checkpoints.length).toBeGreaterThan(0);
    expect(checkpoints.every((checkpoint) => checkpoint.status === 'verified')).toBe(true);

    const payroll = await store().attendance(day, day);
    expect(payroll.find((row) => row.subject === 'sub_W001')).toMatchObject({ firstInMs: Date.parse(`${day}T08:01:00+08:00`), lastOutMs: Date.parse(`${day}T17:45:00+08:00`), clockIns: 3 });
    expect(payroll.find((row) => row.subject === 'sub_W003')).toBeUndefined();
    expect(await alertsOf('chain.broken')).toEqual([]);
  });

  it('drops replays and rejects re-signed events', async () => {
    const [a, b] = gates as [SimDevice, SimDevice];
    const row = await a.clockIn('sub_R001');
    await until(async () => (await store().db.query('SELECT 1 FROM events WHERE event_id = ?', [row.id])).length === 1, 'the original event');
    const before = monitor.stats()!.events.duplicates;

    const pair = broker.clientCert('gate-02');
    const attacker = connect(broker.url, { protocolVersion: 5, clientId: 'gate-02-replay', ca: fs.readFileSync(broker.caFile), cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), reconnectPeriod: 0 });
    await new Promise((resolve, reject) => {
      attacker.once('connect', resolve);
      attacker.once('error', reject);
    });
    // The captured envelope of gate-01, replayed on its own topic by gate-01's identity, is a duplicate.
    const pairA = broker.clientCert('gate-01');
    const replayer = connect(broker.url, { protocolVersion: 5, clientId: 'gate-01-replay', ca: fs.readFileSync(broker.caFile), cert: fs.readFileSync(pairA.cert), key: fs.readFileSync(pairA.key), reconnectPeriod: 0 });
    await new Promise((resolve) => replayer.once('connect', resolve));
    await replayer.publishAsync(row.topic, row.payload, { qos: 1 });
    await replayer.publishAsync(row.topic, row.payload, { qos: 1 });
    await replayer.endAsync();

    // An event re-signed by an unregistered key, and one signed by gate-02 that claims to be gate-01.
    const rogue = generateSigningKeyPair();
    const seal = (event: ReturnType<typeof sampleEvent>, key = rogue.privateKey, kid = keyId(rogue.publicKey)) =>
      sealEvent(event, { deviceSigningKey: key, deviceKid: kid, fleetPublicKey: fleetKeys.publicKey, fleetKid: fleetKeys.kid });
    await attacker.publishAsync(`facegate/v1/${SITE}/gate-02/events`, await seal(sampleEvent({ deviceId: 'gate-02', siteId: SITE })), { qos: 1 });
    await attacker.publishAsync(`facegate/v1/${SITE}/gate-02/events`, await seal(sampleEvent({ deviceId: 'gate-01', siteId: SITE }), b.keys.device.privateKey, b.keys.device.kid), { qos: 1 });
    await attacker.endAsync();

    await until(async () => (await store().counts()).rejections === 2, 'two rejections');
    await until(async () => monitor.stats()!.events.duplicates >= before + 2, 'two duplicates');
    const stored = await store().db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE event_id = ?', [row.id]);
    expect(stored[0]!.n).toBe(1);
    const rejections = await store().db.query<{ kind: string }>('SELECT kind FROM rejections ORDER BY kind');
    expect(rejections.map((rejection) => rejection.kind)).toEqual(['mismatch', 'unknown-signer']);
    expect((await alertsOf('envelope.rejected')).length).toBe(2);
  });

  it('catches an audit entry edited before it shipped', async () => {
    const [, b] = gates as [SimDevice, SimDevice];
    await b.shipper.stop();
    b.record({ actor: { kind: 'technician', id: 'tech.wong' }, action: 'config.change', object: { kind: 'config', id: 'door' }, outcome: 'failure', reason: 'invalid-value' });
    const edited = b.audit.head().size;
    b.record({ actor: { kind: 'system', id: null }, action: 'door.forced', object: { kind: 'door', id: 'main' }, outcome: 'failure' });
    const db = new (await import('better-sqlite3')).default(b.device.outbox.file);
    db.prepare("UPDATE audit_entries SET outcome = 'success' WHERE seq = ?").run(edited);
    db.close();

    const reader = DeviceAuditReader.open(b.device.outbox.file);
    const local = verifyChain([...reader.entries()], reader.checkpoints(), { publicKey: b.keys.device.publicKey });
    reader.close();
    expect(local.firstBadSeq).toBe(edited);

    b.shipper.start();
    await until(async () => (await alertsOf('chain.broken')).length === 1, 'chain.broken alert');
    const [alert] = await alertsOf('chain.broken');
    expect(alert!.device_id).toBe('gate-02');
    expect(JSON.parse(alert!.details).seq).toBe(edited);
    const device = (await store().devices()).find((row) => row.device_id === 'gate-02')!;
    expect(device.broken_seq).toBe(edited);
    await until(async () => (await alertsOf('door.forced')).length === 1, 'door.forced alert');
  });

  it('shows a killed device offline through its Last Will', async () => {
    const pair = broker.clientCert('gate-03');
    const settings = { url: broker.url, caFile: broker.caFile, certFile: pair.cert, keyFile: pair.key, siteId: SITE, stateDir: path.join(root, 'devices', 'gate-03') };
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/publisher-child.ts', JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('connected') && resolve());
        child.once('exit', (code) => reject(new Error(`publisher child exited with ${code}`)));
      });
      await until(async () => (await store().devices()).find((d) => d.device_id === 'gate-03')?.state === 'online', 'gate-03 online');
      child.kill('SIGKILL');
      await until(async () => (await store().devices()).find((d) => d.device_id === 'gate-03')?.state === 'offline', 'gate-03 offline', 15_000);
    } finally {
      child.kill('SIGKILL');
    }
    const device = (await store().devices()).find((d) => d.device_id === 'gate-03')!;
    expect(device.state_reason).toBe('connection-lost');
    const offline = (await store().alerts({ openOnly: true })).filter((alert) => alert.kind === 'device.offline' && alert.device_id === 'gate-03');
    expect(offline).toHaveLength(1);
    expect(JSON.parse(offline[0]!.details).reason).toBe('connection-lost');
  });
});

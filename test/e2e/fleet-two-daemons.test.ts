import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { connect, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDataDir } from '../../appliance/common/paths.js';
import { OUTBOX_FILE } from '../../appliance/outbox/outbox.js';
import { ENROLLED, STRANGER, probePhoto } from '../../demo/lib/cast.js';
import type { FleetStore } from '../../fleet/store.js';
import { openEvent, sealEvent } from '../../protocol/envelope.js';
import { generateSigningKeyPair, keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { channelTopic, parseTopic } from '../../protocol/topics.js';
import { uuidv7 } from '../../protocol/uuidv7.js';
import { runCli } from '../helpers/cli.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../fleet/support/postgres.js';
import { connectFleetClient, type FleetClient } from '../support/fleet-client.js';
import { captureLogs } from '../support/logs.js';
import { startBroker, type TestBroker } from '../support/mosquitto.js';
import { runFacegate, spawnDaemon, type ChildDaemon } from './support/child-daemon.js';
import { startFleetGroup, type FleetGroup } from './support/fleet-group.js';
import { buildVideo, createFleetKeyFiles, prepareGateDevice, type FleetKeyFiles, type GateDevice } from './support/gate-device.js';

// Two gate daemons run as their own processes on videos of LFW photos, with their own keys,
// certificates and galleries, against one Mosquitto with mutual TLS and per-device ACLs. Two fleet
// stores watch them at the same time, SQLite and PostgreSQL, each fed by two monitor instances
// sharing one MQTT 5 subscription group. The daemons start once and the cases run in order:
// events, a SIGKILL, an edited audit entry, a replay and forgeries, and the split between instances.

const SITE_A = 'mo-taipa-01';
const SITE_B = 'mo-cotai-02';
const [AL, AI, ANNETTE] = ENROLLED as [(typeof ENROLLED)[number], (typeof ENROLLED)[number], (typeof ENROLLED)[number]];
const STORES = ['sqlite', 'postgres'] as const;
type StoreName = (typeof STORES)[number];
const pgUnavailable = postgresUnavailable();

interface Committed {
  deviceId: string;
  eventId: string;
  seq: number;
  decision: string;
  subject: string | null;
}

let root: string;
let broker: TestBroker;
let postgres: TestPostgres | undefined;
let fleetKeys: FleetKeyFiles;
let gateA: GateDevice;
let gateB: GateDevice;
let restartConfigB: string;
let daemonA: ChildDaemon;
let daemonB: ChildDaemon;
let restartedB: ChildDaemon | undefined;
let recorder: FleetClient;
const groups = new Map<StoreName, FleetGroup>();

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function committedBy(daemon: ChildDaemon | undefined, deviceId: string): Committed[] {
  if (daemon === undefined) return [];
  return daemon.matching(/^event committed$/).map((line) => ({
    deviceId,
    eventId: String(line.eventId),
    seq: Number(line.seq),
    decision: String(line.decision),
    subject: (line.subject as string | null | undefined) ?? null,
  }));
}

function allCommitted(): Committed[] {
  return [...committedBy(daemonA, gateA.deviceId), ...committedBy(daemonB, gateB.deviceId), ...committedBy(restartedB, gateB.deviceId)];
}

async function stopChild(daemon: ChildDaemon | undefined): Promise<void> {
  if (daemon === undefined || daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
  daemon.child.kill('SIGTERM');
  const timer = setTimeout(() => daemon.child.kill('SIGKILL'), 10_000);
  await daemon.exited;
  clearTimeout(timer);
}

async function connectAs(name: string, clientId: string): Promise<MqttClient> {
  const pair = broker.clientCert(name);
  const client = connect(broker.url, { protocolVersion: 5, clientId, ca: fs.readFileSync(broker.caFile), cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Register one test per store. Where no PostgreSQL server can start, its test is skipped and names the reason. */
function forEachStore(title: string, check: (store: FleetStore, group: FleetGroup, name: StoreName) => Promise<void>): void {
  for (const name of STORES) {
    const skip = name === 'postgres' && pgUnavailable !== undefined;
    it.skipIf(skip)(`${title} on ${name}${skip ? ` (skipped: ${pgUnavailable})` : ''}`, async () => {
      const group = groups.get(name)!;
      await check(group.store, group, name);
    });
  }
}

const eventMessages = () => recorder.messages.filter((message) => parseTopic(message.topic)?.channel === 'events');

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-fleet2-'));
  // As root, Mosquitto drops to its own user, which must reach the broker folder inside this one.
  fs.chmodSync(root, 0o755);
  const dataDir = testDataDir();
  fleetKeys = createFleetKeyFiles(path.join(root, 'fleet-keys'));
  const videos = path.join(root, 'videos');
  fs.mkdirSync(videos);
  const enrolLogs = captureLogs('warn');
  const gates = { dir: path.join(root, 'gates'), dataDir, logger: enrolLogs.logger };

  // Gate A has Al enrolled and its video shows a stranger. Gate B has Annette enrolled and its video
  // shows Ai, who is enrolled only at gate A.
  const [brokerStarted, postgresStarted, videoA, videoB, emptyVideo, enrolled] = await Promise.all([
    startBroker({ dir: path.join(root, 'broker'), devices: [{ id: 'gate-a', site: SITE_A }, { id: 'gate-b', site: SITE_B }], fleetUsers: ['fleet'] }),
    pgUnavailable === undefined ? startPostgres() : Promise.resolve(undefined),
    buildVideo(path.join(videos, 'gate-a.mp4'), [
      { photo: null, seconds: 0.3 },
      { photo: probePhoto(dataDir, AL), seconds: 2.5 },
      { photo: null, seconds: 0.8 },
      { photo: probePhoto(dataDir, STRANGER), seconds: 2.5 },
      { photo: null, seconds: 0.5 },
    ]),
    buildVideo(path.join(videos, 'gate-b.mp4'), [
      { photo: null, seconds: 0.3 },
      { photo: probePhoto(dataDir, ANNETTE), seconds: 2.5 },
      { photo: null, seconds: 0.8 },
      { photo: probePhoto(dataDir, AI), seconds: 2.5 },
      { photo: null, seconds: 0.5 },
    ]),
    buildVideo(path.join(videos, 'empty.mp4'), [{ photo: null, seconds: 1 }]),
    (async (): Promise<[GateDevice, GateDevice]> => [
      await prepareGateDevice({ ...gates, deviceId: 'gate-a', siteId: SITE_A, enrol: [AL, AI] }),
      await prepareGateDevice({ ...gates, deviceId: 'gate-b', siteId: SITE_B, enrol: [ANNETTE] }),
    ])(),
  ]);
  broker = brokerStarted;
  postgres = postgresStarted;
  [gateA, gateB] = enrolled;
  const configA = gateA.writeConfig('gate', { broker, fleet: fleetKeys, video: videoA });
  const configB = gateB.writeConfig('gate', { broker, fleet: fleetKeys, video: videoB });
  restartConfigB = gateB.writeConfig('restart', { broker, fleet: fleetKeys, video: emptyVideo });

  recorder = await connectFleetClient(broker, { filters: ['facegate/v1/+/+/events'] });
  const stores: Record<StoreName, { sqlite: string } | { postgres: string } | undefined> = {
    sqlite: { sqlite: path.join(root, 'fleet', 'fleet.db') },
    postgres: postgres === undefined ? undefined : { postgres: postgres.url },
  };
  await Promise.all(
    STORES.map(async (name) => {
      const store = stores[name];
      if (store === undefined) return;
      groups.set(name, await startFleetGroup({ broker, dir: path.join(root, 'fleet'), fleet: fleetKeys, devices: [gateA, gateB], store, shareGroup: `fleet-${name}` }));
    }),
  );

  // The child fleet instances start while the daemons load their models.
  daemonA = spawnDaemon(configA);
  daemonB = spawnDaemon(configB);
  await Promise.all([
    ...[...groups.values()].map((group) => group.childStarted()),
    ...[daemonA, daemonB].map(async (daemon) => {
      await daemon.waitFor(/^camera input ended/, 1, 60_000);
      await daemon.waitFor(/^event committed$/, 2, 5_000);
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([daemonA, daemonB, restartedB].map((daemon) => stopChild(daemon)));
  for (const group of groups.values()) await group.stop();
  await recorder?.close();
  await broker?.cleanup();
  await postgres?.stop();
  if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
});

describe('events from both daemons', () => {
  it('each daemon decides its own gallery', () => {
    const byDevice = (deviceId: string) => allCommitted().filter((event) => event.deviceId === deviceId).map(({ seq, decision, subject }) => ({ seq, decision, subject }));
    expect(byDevice('gate-a')).toEqual([
      { seq: 1, decision: 'granted', subject: gateA.pseudonyms.get(AL.subjectId) },
      { seq: 2, decision: 'unknown', subject: null },
    ]);
    // Ai is enrolled at gate A only, so gate B has no template to match her against.
    expect(byDevice('gate-b')).toEqual([
      { seq: 1, decision: 'granted', subject: gateB.pseudonyms.get(ANNETTE.subjectId) },
      { seq: 2, decision: 'unknown', subject: null },
    ]);
    // Pseudonyms come from each gallery's own key, so one worker is not linkable across gates.
    expect(gateA.pseudonyms.get(AL.subjectId)).not.toBe(gateB.pseudonyms.get(AL.subjectId));
  });

  it('every event PUBLISH opens and verifies', async () => {
    await until(() => eventMessages().length >= 4, 'four events at the recorder');
    const fleetKey = loadPrivateKey(fleetKeys.privateKeyFile);
    const registered = new Map([gateA, gateB].map((gate) => [gate.deviceKid, { publicKey: loadPublicKey(gate.devicePublicKeyFile), deviceId: gate.deviceId, siteId: gate.siteId }]));
    const opened = [];
    for (const message of eventMessages()) {
      const result = await openEvent(message.payload, { fleetPrivateKey: fleetKey, resolveDeviceKey: (kid) => registered.get(kid), topic: message.topic });
      opened.push({ eventId: result.payload.eventId, deviceId: result.payload.deviceId, signer: result.signer.deviceId });
    }
    expect(opened.every((event) => event.signer === event.deviceId)).toBe(true);
    expect(new Set(opened.map((event) => event.eventId))).toEqual(new Set(allCommitted().map((event) => event.eventId)));
  });

  forEachStore('stores each event once with device, site, subject and seq', async (store) => {
    const expected = allCommitted();
    await until(async () => (await store.counts()).events >= expected.length, `${expected.length} events stored`);
    const rows = await store.db.query<{ event_id: string; device_id: string; site_id: string; seq: number; subject: string | null; decision: string }>(
      'SELECT event_id, device_id, site_id, seq, subject, decision FROM events ORDER BY device_id, seq',
    );
    expect(rows).toEqual(
      expected.map((event) => ({
        event_id: event.eventId,
        device_id: event.deviceId,
        site_id: event.deviceId === 'gate-a' ? SITE_A : SITE_B,
        seq: event.seq,
        subject: event.subject,
        decision: event.decision,
      })),
    );
    expect((await store.counts()).rejections).toBe(0);
  });

  forEachStore('verifies both audit chains past each event', async (store) => {
    // Each event names the audit entry committed with it, and the fleet must store that entry in a verified chain.
    await until(async () => {
      const rows = await store.db.query<{ device_id: string; seq: number; verified_seq: number | null }>(
        `SELECT a.device_id, a.seq, c.verified_seq FROM events e
           JOIN audit_entries a ON a.device_id = e.device_id AND a.entry_id = e.audit_entry_id
           LEFT JOIN chain_state c ON c.device_id = e.device_id`,
      );
      return rows.length === 4 && rows.every((row) => row.verified_seq !== null && row.verified_seq >= row.seq);
    }, 'the audit entries of the four events, verified');
    const devices = await store.devices();
    for (const deviceId of ['gate-a', 'gate-b']) {
      const device = devices.find((row) => row.device_id === deviceId)!;
      expect(device.state, deviceId).toBe('online');
      expect(device.broken_seq, deviceId).toBeNull();
    }
  });
});

describe('daemon killed with SIGKILL', () => {
  beforeAll(async () => {
    daemonB.child.kill('SIGKILL');
    expect((await daemonB.exited).signal).toBe('SIGKILL');
  });

  forEachStore('shows gate-b offline through its Last Will', async (store) => {
    await until(async () => (await store.devices()).find((device) => device.device_id === 'gate-b')?.state === 'offline', 'gate-b offline');
    const devices = await store.devices();
    expect(devices.find((device) => device.device_id === 'gate-b')!.state_reason).toBe('connection-lost');
    expect(devices.find((device) => device.device_id === 'gate-a')!.state).toBe('online');

    const offline = (await store.alerts({ openOnly: true })).filter((alert) => alert.kind === 'device.offline');
    expect(offline.map((alert) => alert.device_id)).toEqual(['gate-b']);
    expect(JSON.parse(offline[0]!.details)).toEqual({ reason: 'connection-lost' });
  });
});

describe('audit entry edited on a device', () => {
  // What this models: while gate B is down after the crash, a technician removes a worker with the
  // CLI, which appends `enrolment.remove` to the device's audit log. Nothing ships it until the
  // daemon runs again, and before that someone with root on the device rewrites the entry's actor in
  // outbox.db to hide who did it. The restarted daemon ships the edited entry, whose fields no longer
  // hash to its stored hash. An entry edited after it shipped would not reach the fleet at all, and
  // only `audit verify` on the device would catch it.
  let editedSeq: number;
  let verifyOutput: { code: number | null; stdout: string };

  beforeAll(async () => {
    const removed = await runCli(['--log-level', 'silent', 'gallery', 'remove', ANNETTE.subjectId, '--state', gateB.stateDir]);
    expect(removed.code, removed.stderr).toBe(0);

    const db = new Database(path.join(gateB.stateDir, OUTBOX_FILE));
    try {
      const rows = db.prepare<[], { seq: number; actor_id: string | null }>("SELECT seq, actor_id FROM audit_entries WHERE action = 'enrolment.remove' AND shipped_at IS NULL").all();
      expect(rows).toHaveLength(1);
      editedSeq = rows[0]!.seq;
      expect(rows[0]!.actor_id).not.toBe('tech.chan');
      db.prepare("UPDATE audit_entries SET actor_id = 'tech.chan' WHERE seq = ?").run(editedSeq);
    } finally {
      db.close();
    }

    // The technician's check runs while the gate starts again, because the restart only appends entries after the edited one.
    restartedB = spawnDaemon(restartConfigB);
    [verifyOutput] = await Promise.all([
      runFacegate(['audit', 'verify', '--state', gateB.stateDir, '--key', gateB.devicePublicKeyFile]),
      restartedB.waitFor(/^ready: /, 1, 30_000),
    ]);
  });

  it('facegate audit verify names the edited seq', () => {
    expect(verifyOutput.code).toBe(1);
    expect(verifyOutput.stdout).toContain(`Audit chain BROKEN: first bad entry is seq ${editedSeq}.`);
  });

  forEachStore('raises chain.broken at the edited seq', async (store) => {
    await until(async () => (await store.alerts()).some((alert) => alert.kind === 'chain.broken'), 'a chain.broken alert');
    const broken = (await store.alerts()).filter((alert) => alert.kind === 'chain.broken');
    expect(broken.map((alert) => alert.device_id)).toEqual(['gate-b']);
    expect(JSON.parse(broken[0]!.details).seq).toBe(editedSeq);
    expect(JSON.parse(broken[0]!.details).reason).toMatch(/^entry was edited/);
    const devices = await store.devices();
    expect(devices.find((device) => device.device_id === 'gate-b')!.broken_seq).toBe(editedSeq);
    expect(devices.find((device) => device.device_id === 'gate-a')!.broken_seq).toBeNull();
  });

  forEachStore('shows gate-b online again after the restart', async (store) => {
    await until(async () => (await store.devices()).find((device) => device.device_id === 'gate-b')?.state === 'online', 'gate-b online');
    const offline = (await store.alerts({ openOnly: true })).filter((alert) => alert.kind === 'device.offline');
    expect(offline).toEqual([]);
  });
});

describe('replayed and re-signed events', () => {
  let replayedId: string;
  let forgedIds: string[];
  const duplicatesBefore = new Map<StoreName, number>();
  let fleetPublish: Error | undefined;
  let replayPayload: string;
  let forgedPayloads: string[];

  const duplicates = async (group: FleetGroup) => (await group.ingestStats()).reduce((sum, stats) => sum + stats.events.duplicates, 0);

  beforeAll(async () => {
    for (const [name, group] of groups) duplicatesBefore.set(name, await duplicates(group));
    const captured = eventMessages().find((message) => parseTopic(message.topic)?.deviceId === 'gate-a')!;
    const original = await openEvent(captured.payload, {
      fleetPrivateKey: loadPrivateKey(fleetKeys.privateKeyFile),
      resolveDeviceKey: (kid) => (kid === gateA.deviceKid ? { publicKey: loadPublicKey(gateA.devicePublicKeyFile), deviceId: 'gate-a', siteId: SITE_A } : undefined),
    });
    replayedId = original.payload.eventId;
    replayPayload = captured.payload;

    // A rogue client holding gate A's stolen certificate: the ACL lets it write under gate A's prefix.
    const rogue = await connectAs('gate-a', 'gate-a-rogue');
    await rogue.publishAsync(captured.topic, captured.payload, { qos: 1 });

    // The same event becomes a grant for another worker, re-signed with a key that is not gate A's. The first
    // copy claims gate A's kid, so its signature fails. The second names the new key's own kid, an unknown signer.
    const forger = generateSigningKeyPair();
    const forged = { ...original.payload, eventId: uuidv7(), seq: original.payload.seq + 100, subject: gateA.pseudonyms.get(AI.subjectId)!, decision: 'granted' as const, doorActuated: true };
    const fleetPublicKey = loadPublicKey(fleetKeys.publicKeyFile);
    const asGateA = await sealEvent(forged, { deviceSigningKey: forger.privateKey, deviceKid: gateA.deviceKid, fleetPublicKey, fleetKid: fleetKeys.kid });
    const secondForgery = { ...forged, eventId: uuidv7() };
    const asItself = await sealEvent(secondForgery, { deviceSigningKey: forger.privateKey, deviceKid: keyId(forger.publicKey), fleetPublicKey, fleetKid: fleetKeys.kid });
    forgedIds = [forged.eventId, secondForgery.eventId];
    forgedPayloads = [asGateA, asItself];
    await rogue.publishAsync(captured.topic, asGateA, { qos: 1 });
    await rogue.publishAsync(captured.topic, asItself, { qos: 1 });
    await rogue.endAsync();

    // The fleet user may only write commands, so the broker rejects a copy of the event on the events topic.
    const fleetUser = await connectAs('fleet', 'fleet-replay');
    fleetPublish = await fleetUser.publishAsync(channelTopic(SITE_A, 'gate-a', 'events'), captured.payload, { qos: 1 }).then(
      () => undefined,
      (error: Error) => error,
    );
    await fleetUser.endAsync();
  });

  it('broker rejects events from the fleet user', async () => {
    expect(fleetPublish?.message).toMatch(/Not authorized/);
    // The forgeries were published before the fleet user's attempt. Once they are in, the captured
    // bytes must have arrived twice only: from gate A and from the rogue client.
    await until(() => forgedPayloads.every((payload) => eventMessages().some((message) => message.payload === payload)), 'both forgeries at the recorder');
    expect(eventMessages().filter((message) => message.payload === replayPayload)).toHaveLength(2);
  });

  forEachStore('drops the replay as a duplicate', async (store, group, name) => {
    const before = duplicatesBefore.get(name)!;
    await until(async () => (await duplicates(group)) > before, 'the replay counted as a duplicate');
    expect(await duplicates(group)).toBe(before + 1);
    const stored = await store.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE event_id = ?', [replayedId]);
    expect(Number(stored[0]!.n)).toBe(1);
  });

  forEachStore('rejects and alerts the re-signed events', async (store, group) => {
    await until(async () => (await store.counts()).rejections >= 2, 'two rejections');
    const rejections = await store.db.query<{ kind: string; device_id: string; topic: string }>('SELECT kind, device_id, topic FROM rejections ORDER BY kind');
    expect(rejections).toEqual([
      { kind: 'signature', device_id: 'gate-a', topic: channelTopic(SITE_A, 'gate-a', 'events') },
      { kind: 'unknown-signer', device_id: 'gate-a', topic: channelTopic(SITE_A, 'gate-a', 'events') },
    ]);
    const alerts = (await store.alerts()).filter((alert) => alert.kind === 'envelope.rejected');
    expect(alerts.map((alert) => alert.device_id)).toEqual(['gate-a', 'gate-a']);
    for (const id of forgedIds) {
      const stored = await store.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE event_id = ?', [id]);
      expect(Number(stored[0]!.n), id).toBe(0);
    }
    // Whichever instance received a forgery logs its alert.
    await until(() => group.logMatching(/^alert: A message on .* was rejected/).length >= 2, 'two alert log lines');
    expect(group.logMatching(/^alert: A message on .* was rejected/)).toHaveLength(2);
  });
});

describe('two instances sharing the subscription', () => {
  forEachStore('stores every event exactly once between them', async (store, group) => {
    const expected = allCommitted();
    const rows = await store.db.query<{ event_id: string; receiver: string }>('SELECT event_id, receiver FROM events');
    expect(rows.map((row) => row.event_id).sort()).toEqual(expected.map((event) => event.eventId).sort());
    expect(rows.every((row) => group.instances.includes(row.receiver))).toBe(true);

    // The broker hands each message of the group to one instance: together they opened each event
    // PUBLISH once. Two plain subscribers would each have opened all of them.
    const published = eventMessages().length;
    const handled = async () => {
      const stats = await group.ingestStats();
      return stats.map((one) => one.events.stored + one.events.duplicates + Object.values(one.rejected).reduce((sum, n) => sum + n, 0));
    };
    await until(async () => (await handled()).reduce((sum, n) => sum + n, 0) >= published, `${published} event messages handled`);
    const perInstance = await handled();
    expect(perInstance.reduce((sum, n) => sum + n, 0)).toBe(published);
    const stats = await group.ingestStats();
    expect(stats.reduce((sum, one) => sum + one.events.stored, 0)).toBe(expected.length);
    for (const [index, one] of stats.entries()) expect(one.received, group.instances[index]).toBeGreaterThan(0);
  });
});

/**
 * Fleet ingest benchmark: 1,000 simulated devices, each with its own client certificate and
 * Ed25519 key, publish pre-sealed attendance events at QoS 1 through a local Mosquitto over
 * mutual TLS, and one fleet monitor process opens, verifies and stores them, first on SQLite,
 * then on PostgreSQL 15. The monitor runs in a child process so its CPU time is measured alone;
 * the broker, the publishers and the PostgreSQL server use the same 2 cores.
 *
 * Reported per store: events stored per second of wall time, events per CPU-second of the monitor
 * process ("per core"), and where that CPU goes: opening one envelope (decrypt, verify, validate)
 * measured on its own, the store transactions, and the rest (MQTT, TLS, JSON, scheduling).
 *
 *   npx tsx bench/fleet.ts [--devices 1000] [--events 10]    # writes bench/results/fleet.json
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type MqttClient } from 'mqtt';
import { silentLogger } from '../appliance/common/logger.js';
import { parseFleetConfig } from '../fleet/config.js';
import { FleetMonitor } from '../fleet/monitor.js';
import { openEvent, sealEvent } from '../protocol/envelope.js';
import { generateEncryptionKeyPair, generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../protocol/keys.js';
import { channelTopic } from '../protocol/topics.js';
import { DeviceRegistry, FleetKeyring } from '../fleet/registry.js';
import { sampleEvent } from '../test/support/events.js';
import { startBroker } from '../test/support/mosquitto.js';
import { postgresUnavailable, startPostgres } from '../test/fleet/support/postgres.js';
import { runRecord, round, writeResult } from './record.js';

const SITE = 'bench';

interface Sealed {
  deviceId: string;
  topic: string;
  payload: string;
}

interface ChildResult {
  store: string;
  events: number;
  wallMs: number;
  cpuMs: number;
  openUsPerEvent: number;
  storeMsTotal: number;
  batches: number;
  duplicates: number;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

async function parent(): Promise<void> {
  const deviceCount = option('devices', 1000);
  const perDevice = option('events', 10);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-bench-fleet-'));
  fs.chmodSync(dir, 0o755);
  const ids = Array.from({ length: deviceCount }, (_, i) => `sim-${String(i + 1).padStart(4, '0')}`);

  let started = performance.now();
  // Every event reaches the one monitor at once. Mosquitto queues 1,000 per client by default and
  // drops the rest of such a burst, so the monitor would wait for it forever.
  const broker = await startBroker({
    dir: path.join(dir, 'broker'),
    devices: ids.map((id) => ({ id, site: SITE })),
    maxQueuedMessages: deviceCount * perDevice + 1000,
  });
  console.log(`broker with ${deviceCount} device certificates in ${Math.round(performance.now() - started)} ms`);

  const fleet = generateEncryptionKeyPair();
  const fleetKid = keyId(fleet.publicKey);
  savePrivateKey(path.join(dir, 'fleet.pem'), fleet.privateKey);
  started = performance.now();
  const sealed: Sealed[] = [];
  const devices = [];
  for (const id of ids) {
    const key = generateSigningKeyPair();
    const kid = keyId(key.publicKey);
    const file = path.join(dir, `${id}.pub.pem`);
    savePublicKey(file, key.publicKey);
    devices.push({ id, site: SITE, publicKey: file });
    for (let seq = 1; seq <= perDevice; seq++) {
      const event = sampleEvent({ deviceId: id, siteId: SITE, seq, subject: `sub_${id}` });
      const payload = await sealEvent(event, { deviceSigningKey: key.privateKey, deviceKid: kid, fleetPublicKey: fleet.publicKey, fleetKid });
      sealed.push({ deviceId: id, topic: channelTopic(SITE, id, 'events'), payload });
    }
  }
  fs.writeFileSync(path.join(dir, 'sealed.json'), JSON.stringify(sealed));
  console.log(`sealed ${sealed.length} events in ${Math.round(performance.now() - started)} ms`);

  started = performance.now();
  const clients = new Map<string, MqttClient>();
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        const pair = broker.clientCert(id);
        const client = connect(broker.url, { protocolVersion: 5, clientId: id, ca: fs.readFileSync(broker.caFile), cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), reconnectPeriod: 0, connectTimeout: 30_000 });
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
        });
        clients.set(id, client);
      }),
    );
  }
  console.log(`${clients.size} device connections in ${Math.round(performance.now() - started)} ms`);

  const results: ChildResult[] = [];
  const stopStores: Array<() => Promise<void>> = [];
  try {
    const stores: Array<{ name: string; store: { sqlite: string } | { postgres: string } }> = [{ name: 'sqlite', store: { sqlite: path.join(dir, 'fleet.db') } }];
    const unavailable = postgresUnavailable();
    if (unavailable === undefined) {
      const postgres = await startPostgres({ fsync: true });
      stores.push({ name: 'postgres', store: { postgres: postgres.url } });
      stopStores.push(postgres.stop);
    } else {
      console.log(`PostgreSQL skipped: ${unavailable}`);
    }

    for (const { name, store } of stores) {
      const pair = broker.clientCert('fleet');
      const config = {
        broker: { url: broker.url, caFile: broker.caFile, certFile: pair.cert, keyFile: pair.key, clientId: `bench-${name}`, shareGroup: `bench-${name}`, sessionExpirySeconds: 0 },
        fleetKeys: [path.join(dir, 'fleet.pem')],
        devices,
        store,
        http: { host: '127.0.0.1', port: 0 },
      };
      const configFile = path.join(dir, `fleet-${name}.json`);
      fs.writeFileSync(configFile, JSON.stringify(config));
      const child = fork(fileURLToPath(import.meta.url), ['--child', configFile, path.join(dir, 'sealed.json'), String(sealed.length), name], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      const watched = watchChild(child, name);
      await watched.message('ready', READY_TIMEOUT_MS);
      for (const event of sealed) clients.get(event.deviceId)!.publish(event.topic, event.payload, { qos: 1 });
      const result = (await watched.message('done', doneTimeoutMs(sealed.length))) as ChildResult;
      child.kill();
      results.push(result);
      console.log(
        `${name}: ${result.events} events in ${round(result.wallMs / 1000, 2)} s = ${Math.round((result.events / result.wallMs) * 1000)} events/s, ` +
          `${Math.round((result.events / result.cpuMs) * 1000)} events per CPU-second`,
      );
    }

  } finally {
    // Also on failure, so no broker, PostgreSQL server or temporary folder outlives the run.
    for (const client of clients.values()) client.end(true);
    for (const stop of stopStores) await stop().catch(() => undefined);
    await broker.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const record = runRecord('npx tsx bench/fleet.ts');
  const file = writeResult('fleet', {
    ...record,
    setup: {
      devices: deviceCount,
      eventsPerDevice: perDevice,
      note: `monitor in its own process; broker, ${deviceCount} publisher connections and PostgreSQL (fsync on) on the same 2 cores; SQLite in WAL with synchronous=NORMAL; batches of up to 500 messages`,
    },
    results: results.map((result) => {
      const cpuUsPerEvent = (result.cpuMs * 1000) / result.events;
      const storeUsPerEvent = (result.storeMsTotal * 1000) / result.events;
      return {
        store: result.store,
        events: result.events,
        duplicates: result.duplicates,
        wallSeconds: round(result.wallMs / 1000, 2),
        eventsPerSecond: Math.round((result.events / result.wallMs) * 1000),
        eventsPerCpuSecond: Math.round((result.events / result.cpuMs) * 1000),
        cpuUsPerEvent: round(cpuUsPerEvent, 1),
        timeUsPerEvent: {
          openAndVerify: round(result.openUsPerEvent, 1),
          storeTransactions: round(storeUsPerEvent, 1),
          restMqttTlsJson: round(Math.max(0, cpuUsPerEvent - result.openUsPerEvent - storeUsPerEvent), 1),
        },
        batches: result.batches,
      };
    }),
  });
  console.log(`wrote ${file}`);
}

const READY_TIMEOUT_MS = 120_000;
/** The monitor gives up when no event was stored for this long. */
const STALL_TIMEOUT_MS = 30_000;
const STDERR_TAIL_LINES = 20;

/** Time allowed for the ingest of `events`: a minute plus 20 ms per event (50 events/s, far below any run so far). */
function doneTimeoutMs(events: number): number {
  return 60_000 + events * 20;
}

/**
 * Follow the monitor child from the moment it is forked, so an exit at any time (before or after
 * `ready`) fails the wait that is under way, or the next one, with the child's last stderr lines.
 */
function watchChild(child: ChildProcess, name: string): { message(type: string, timeoutMs: number): Promise<unknown> } {
  const tail: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter((line) => line.length > 0));
    tail.splice(0, Math.max(0, tail.length - STDERR_TAIL_LINES));
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const describeExit = (type: string): Error =>
    new Error(
      `the ${name} monitor process exited (code ${exit?.code ?? 'none'}, signal ${exit?.signal ?? 'none'}) while the benchmark waited for "${type}". ` +
        `Its last stderr lines:\n${tail.join('\n') || '(none)'}`,
    );

  return {
    message(type, timeoutMs) {
      if (exit !== undefined) return Promise.reject(describeExit(type));
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const onMessage = (value: { type: string; data?: unknown }): void => {
          if (value.type !== type) return;
          finish();
          resolve(value.data);
        };
        const finish = (): void => {
          clearTimeout(timer);
          child.off('message', onMessage);
        };
        child.on('message', onMessage);
        void exited.then(() => {
          finish();
          reject(describeExit(type));
        });
        timer = setTimeout(() => {
          finish();
          child.kill('SIGKILL');
          reject(new Error(`the ${name} monitor process sent no "${type}" within ${timeoutMs} ms; it was killed. Its last stderr lines:\n${tail.join('\n') || '(none)'}`));
        }, timeoutMs);
      });
    },
  };
}

async function child(configFile: string, sealedFile: string, total: number, name: string): Promise<void> {
  const config = parseFleetConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')), configFile);
  const sealed = JSON.parse(fs.readFileSync(sealedFile, 'utf8')) as Sealed[];

  // Opening alone, one envelope after another, on this process's CPU.
  const registry = DeviceRegistry.load(config.devices);
  const keyring = FleetKeyring.load(config.fleetKeys);
  const sample = sealed.slice(0, 2000);
  const before = process.cpuUsage();
  for (const event of sample) await openEvent(event.payload, { fleetPrivateKey: keyring.resolve, resolveDeviceKey: registry.resolve, topic: event.topic });
  const used = process.cpuUsage(before);
  const openUsPerEvent = (used.user + used.system) / sample.length;

  const monitor = new FleetMonitor({ config, logger: silentLogger() });
  await monitor.start({ subscribeTimeoutMs: 30_000 });
  const cpuStart = process.cpuUsage();
  let firstAt: number | undefined;
  process.send!({ type: 'ready' });
  let lastCount = -1;
  let lastProgressAt = performance.now();
  for (;;) {
    const stats = monitor.stats()!;
    if (firstAt === undefined && stats.received > 0) firstAt = performance.now();
    const count = stats.events.stored + stats.events.duplicates;
    if (count >= total) break;
    if (count !== lastCount) {
      lastCount = count;
      lastProgressAt = performance.now();
    } else if (performance.now() - lastProgressAt > STALL_TIMEOUT_MS) {
      process.stderr.write(
        `no event stored for ${STALL_TIMEOUT_MS / 1000} s: ${stats.events.stored} stored, ${stats.events.duplicates} duplicates, ` +
          `${stats.received} messages received of ${total}; the broker may have dropped messages (max_queued_messages)\n`,
      );
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const wallMs = performance.now() - firstAt!;
  const cpu = process.cpuUsage(cpuStart);
  const stats = monitor.stats()!;
  const result: ChildResult = {
    store: name,
    events: stats.events.stored,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    openUsPerEvent,
    storeMsTotal: stats.storeMs,
    batches: stats.batches,
    duplicates: stats.events.duplicates,
  };
  await monitor.stop();
  process.send!({ type: 'done', data: result });
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), process.argv[6]!);
} else {
  await parent();
}

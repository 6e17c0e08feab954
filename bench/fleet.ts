/**
 * Fleet ingest benchmark: 1,000 simulated devices, each with its own client certificate and
 * Ed25519 key, publish pre-sealed attendance events at QoS 1 through a local Mosquitto over
 * mutual TLS, and one fleet monitor process opens, verifies and stores them, on SQLite and on
 * PostgreSQL 15. The monitor runs in a child process, so its CPU time is measured alone. The
 * broker, the publishers and the PostgreSQL server use the same 2 cores.
 *
 * Each round runs the monitor once per store with the node:crypto opener and once with the old
 * jose opener as the baseline (bench/fleet-jose-baseline.ts swaps it in), in alternating order,
 * each on a fresh database. Before that, both openers open the same events in this process
 * (bench/fleet-openers.ts). Reported per store and opener: events stored per second of wall time,
 * events per CPU-second of the monitor process ("per core"), and store transaction time per event.
 * With --profile, one more monitor run per store with the node:crypto opener records a V8 CPU
 * profile from the first event to the last (bench/fleet-profile.ts sums it up). Those runs do not
 * count in the figures.
 *
 *   npx tsx bench/fleet.ts [--devices 1000] [--events 10] [--rounds 3] [--profile]   # writes bench/results/fleet.json
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { connect, type MqttClient } from 'mqtt';
import pg from 'pg';
import { silentLogger } from '../appliance/common/logger.js';
import { parseFleetConfig } from '../fleet/config.js';
import { FleetMonitor } from '../fleet/monitor.js';
import { sealEvent } from '../protocol/envelope.js';
import { generateEncryptionKeyPair, generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../protocol/keys.js';
import { channelTopic } from '../protocol/topics.js';
import { DeviceRegistry, FleetKeyring } from '../fleet/registry.js';
import { sampleEvent } from '../test/support/events.js';
import { startBroker } from '../test/support/mosquitto.js';
import { postgresUnavailable, startPostgres } from '../test/fleet/support/postgres.js';
import { compareOpeners } from './fleet-openers.js';
import { summariseCpuProfile, type ProfileShare } from './fleet-profile.js';
import { percentile, runRecord, round, writeResult } from './record.js';

const SITE = 'bench';
/** Envelopes each opener opens in the in-process comparison, per pass. */
const COMPARISON_EVENTS = 2000;
const COMPARISON_PASSES = 3;

type StoreName = 'sqlite' | 'postgres';
type OpenerName = 'node' | 'jose';

interface Sealed {
  deviceId: string;
  topic: string;
  payload: string;
}

interface ChildResult {
  store: StoreName;
  opener: OpenerName;
  events: number;
  wallMs: number;
  cpuMs: number;
  storeMsTotal: number;
  batches: number;
  duplicates: number;
}

interface RunResult extends ChildResult {
  round: number;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

async function parent(): Promise<void> {
  const deviceCount = option('devices', 1000);
  const perDevice = option('events', 10);
  const rounds = option('rounds', 3);
  const profile = process.argv.includes('--profile');
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
  const devices: Array<{ id: string; site: string; publicKey: string }> = [];
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
  console.log(`sealed ${sealed.length} events in ${Math.round(performance.now() - started)} ms`);

  const registry = DeviceRegistry.load(devices);
  const keyring = FleetKeyring.load([path.join(dir, 'fleet.pem')]);
  const openers = await compareOpeners(sealed.slice(0, COMPARISON_EVENTS), { fleetPrivateKey: keyring.resolve, resolveDeviceKey: registry.resolve }, COMPARISON_PASSES);
  console.log(
    `opening alone: jose ${openers.jose.cpuUsPerEvent} µs, node:crypto ${openers.node.cpuUsPerEvent} µs of CPU per event (${openers.cpuRatio}×); ` +
      `wall p50/p95 jose ${openers.jose.wallUs.median}/${openers.jose.wallUs.p95} µs, node:crypto ${openers.node.wallUs.median}/${openers.node.wallUs.p95} µs`,
  );

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

  const runs: RunResult[] = [];
  const profiles: Partial<Record<StoreName, ProfileShare[]>> = {};
  const stopStores: Array<() => Promise<void>> = [];
  let runCount = 0;
  try {
    const postgresUrl = await startPostgresIfAvailable(stopStores);
    const storeNames: StoreName[] = postgresUrl === undefined ? ['sqlite'] : ['sqlite', 'postgres'];

    /** Run the monitor once on a fresh database and wait for it to store every event. */
    const runMonitor = async (store: StoreName, opener: OpenerName, profileFile?: string): Promise<ChildResult> => {
      runCount += 1;
      const name = `${store}-${opener}-${runCount}`;
      const storeConfig = store === 'sqlite' ? { sqlite: path.join(dir, `${name}.db`) } : { postgres: await createDatabase(postgresUrl!, `fleet_run_${runCount}`) };
      const pair = broker.clientCert('fleet');
      const config = {
        broker: { url: broker.url, caFile: broker.caFile, certFile: pair.cert, keyFile: pair.key, clientId: `bench-${name}`, shareGroup: `bench-${name}`, sessionExpirySeconds: 0 },
        fleetKeys: [path.join(dir, 'fleet.pem')],
        devices,
        store: storeConfig,
        http: { host: '127.0.0.1', port: 0 },
      };
      const configFile = path.join(dir, `${name}.json`);
      fs.writeFileSync(configFile, JSON.stringify(config));

      const execArgv = ['--import', 'tsx'];
      if (opener === 'jose') execArgv.push('--import', fileURLToPath(new URL('./fleet-jose-baseline.ts', import.meta.url)));
      const childArgs = ['--child', configFile, String(sealed.length), store, opener, ...(profileFile === undefined ? [] : [profileFile])];
      const child = fork(fileURLToPath(import.meta.url), childArgs, { execArgv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
      const watched = watchChild(child, name);
      await watched.message('ready', READY_TIMEOUT_MS);
      for (const event of sealed) clients.get(event.deviceId)!.publish(event.topic, event.payload, { qos: 1 });
      const result = (await watched.message('done', doneTimeoutMs(sealed.length))) as ChildResult;
      await watched.exited(EXIT_TIMEOUT_MS);
      console.log(
        `${name}: ${result.events} events in ${round(result.wallMs / 1000, 2)} s = ${Math.round((result.events / result.wallMs) * 1000)} events/s, ` +
          `${Math.round((result.events / result.cpuMs) * 1000)} events per CPU-second`,
      );
      return result;
    };

    for (let roundIndex = 1; roundIndex <= rounds; roundIndex++) {
      for (const store of storeNames) {
        const order: OpenerName[] = roundIndex % 2 === 1 ? ['node', 'jose'] : ['jose', 'node'];
        for (const opener of order) runs.push({ ...(await runMonitor(store, opener)), round: roundIndex });
      }
    }

    if (profile) {
      for (const store of storeNames) {
        // Kept outside the temporary folder, so it can be opened in Chrome DevTools after the run.
        const file = path.join(os.tmpdir(), `facegate-fleet-${store}.cpuprofile`);
        await runMonitor(store, 'node', file);
        profiles[store] = summariseCpuProfile(file);
        console.log(`${store} profile (${file}):`);
        for (const share of profiles[store]!) console.log(`  ${String(share.percent).padStart(5)} %  ${share.category}`);
      }
    }
  } finally {
    // Also on failure, so no broker, PostgreSQL server or temporary folder outlives the run.
    for (const client of clients.values()) client.end(true);
    for (const stop of stopStores) await stop().catch(() => undefined);
    await broker.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const record = runRecord(`npx tsx bench/fleet.ts${rounds === 3 ? '' : ` --rounds ${rounds}`}${profile ? ' --profile' : ''}`);
  const results = summariseRuns(runs);
  const file = writeResult('fleet', {
    ...record,
    setup: {
      devices: deviceCount,
      eventsPerDevice: perDevice,
      rounds,
      note:
        `monitor in its own process; broker, ${deviceCount} publisher connections and PostgreSQL (fsync on) on the same 2 cores; ` +
        'SQLite in WAL with synchronous=NORMAL; batches of up to 500 messages; each run on a fresh database; ' +
        'the jose runs swap the old opener into fleet/ingest.ts with bench/fleet-jose-baseline.ts',
    },
    openingAlone: openers,
    results,
    speedUp: Object.fromEntries(
      [...new Set(results.map((result) => result.store))].map((store) => {
        const of = (opener: OpenerName) => results.find((result) => result.store === store && result.opener === opener)!.eventsPerCpuSecond.median;
        return [store, round(of('node') / of('jose'), 2)];
      }),
    ),
    profile: profiles,
    runs: runs.map((run) => ({
      round: run.round,
      store: run.store,
      opener: run.opener,
      events: run.events,
      duplicates: run.duplicates,
      wallSeconds: round(run.wallMs / 1000, 2),
      eventsPerSecond: Math.round((run.events / run.wallMs) * 1000),
      eventsPerCpuSecond: Math.round((run.events / run.cpuMs) * 1000),
      batches: run.batches,
    })),
  });
  console.log(`wrote ${file}`);
}

/** Median and range over the rounds, per store and opener. */
function summariseRuns(runs: readonly RunResult[]) {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) groups.set(`${run.store}/${run.opener}`, [...(groups.get(`${run.store}/${run.opener}`) ?? []), run]);
  return [...groups.values()].map((group) => {
    const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
    const perCpuSecond = sorted(group.map((run) => (run.events / run.cpuMs) * 1000));
    const perSecond = sorted(group.map((run) => (run.events / run.wallMs) * 1000));
    const cpuUs = sorted(group.map((run) => (run.cpuMs * 1000) / run.events));
    const storeUs = sorted(group.map((run) => (run.storeMsTotal * 1000) / run.events));
    return {
      store: group[0]!.store,
      opener: group[0]!.opener,
      runs: group.length,
      eventsPerCpuSecond: { median: Math.round(percentile(perCpuSecond, 0.5)), min: Math.round(perCpuSecond[0]!), max: Math.round(perCpuSecond.at(-1)!) },
      eventsPerSecond: { median: Math.round(percentile(perSecond, 0.5)), min: Math.round(perSecond[0]!), max: Math.round(perSecond.at(-1)!) },
      cpuUsPerEvent: round(percentile(cpuUs, 0.5), 1),
      storeTransactionUsPerEvent: round(percentile(storeUs, 0.5), 1),
    };
  });
}

async function startPostgresIfAvailable(stopStores: Array<() => Promise<void>>): Promise<string | undefined> {
  const unavailable = postgresUnavailable();
  if (unavailable !== undefined) {
    console.log(`PostgreSQL skipped: ${unavailable}`);
    return undefined;
  }
  const postgres = await startPostgres({ fsync: true });
  stopStores.push(postgres.stop);
  return postgres.url;
}

/** Create database `name` on the server of `url` and return its URL, so each run starts empty. */
async function createDatabase(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return url.replace(/\/[^/]+$/, `/${name}`);
}

const READY_TIMEOUT_MS = 120_000;
/** The monitor gives up when no event was stored for this long. */
const STALL_TIMEOUT_MS = 30_000;
const STDERR_TAIL_LINES = 20;
/** Time the monitor gets to stop and exit after reporting. */
const EXIT_TIMEOUT_MS = 30_000;

/** Time allowed for the ingest of `events`: a minute plus 20 ms per event (50 events/s, far below any run so far). */
function doneTimeoutMs(events: number): number {
  return 60_000 + events * 20;
}

/**
 * Follow the monitor child from the moment it is forked, so an exit at any time (before or after
 * `ready`) fails the wait that is under way, or the next one, with the child's last stderr lines.
 */
function watchChild(child: ChildProcess, name: string): { message(type: string, timeoutMs: number): Promise<unknown>; exited(timeoutMs: number): Promise<void> } {
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

    async exited(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`the ${name} monitor process did not exit within ${timeoutMs} ms of reporting; it was killed.`);
      }
      if (exit?.code !== 0) throw describeExit('its exit');
    },
  };
}

async function child(configFile: string, total: number, store: StoreName, opener: OpenerName, profileFile: string | undefined): Promise<void> {
  const config = parseFleetConfig(JSON.parse(fs.readFileSync(configFile, 'utf8')), configFile);
  const monitor = new FleetMonitor({ config, logger: silentLogger() });
  await monitor.start({ subscribeTimeoutMs: 30_000 });

  // A jose run whose redirect did not happen would silently measure the node:crypto opener twice.
  const joseActive = (globalThis as { joseBaselineActive?: () => boolean }).joseBaselineActive?.() === true;
  if (joseActive !== (opener === 'jose')) {
    process.stderr.write(`the ${opener} run has the jose opener ${joseActive ? 'swapped in' : 'not swapped in'}. Check bench/fleet-jose-baseline.ts.\n`);
    process.exit(1);
  }
  const profiler = profileFile === undefined ? undefined : new Session();
  if (profiler !== undefined) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
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
  if (profiler !== undefined) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.writeFileSync(profileFile!, JSON.stringify(profile));
    profiler.disconnect();
  }
  const stats = monitor.stats()!;
  const result: ChildResult = {
    store,
    opener,
    events: stats.events.stored,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    storeMsTotal: stats.storeMs,
    batches: stats.batches,
    duplicates: stats.events.duplicates,
  };
  await monitor.stop();
  process.send!({ type: 'done', data: result }, () => process.exit(0));
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, Number(process.argv[4]), process.argv[5] as StoreName, process.argv[6] as OpenerName, process.argv[7]);
} else {
  await parent();
}

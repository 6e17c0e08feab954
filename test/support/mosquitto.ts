import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestPki, type CertificatePair, type TestPki } from './pki.js';

/**
 * A real Mosquitto 2 broker for tests, on a free loopback port, with mutual TLS as production
 * runs it: `require_certificate true` and `use_identity_as_username true`, so the client
 * certificate's CN is the MQTT user name that the ACL file checks.
 *
 * ACL: each device may publish only under `facegate/v1/<site>/<device>/#` (any site when none is
 * given) and read only its own `cmd/#`. Each fleet user may read `facegate/v1/#` and publish
 * commands to `facegate/v1/+/+/cmd/#`.
 *
 * Usage:
 *   const broker = await startBroker({ dir, devices: [{ id: 'gate-01', site: 'mo-01' }] });
 *   const { cert, key } = broker.clientCert('gate-01');
 *   ... connect to broker.url with ca = broker.caFile ...
 *   await broker.restart();   // same port, clients see the broker go away and come back
 *   await broker.stop();
 */

export interface BrokerDevice {
  id: string;
  /** Site the device may publish under; any site when omitted. */
  site?: string;
}

export interface StartBrokerOptions {
  /**
   * Working folder for the PKI, configuration and ACL; created if missing. By default a new
   * folder under the system temporary folder, removed by cleanup(). As root, every folder above
   * it must be searchable by the `mosquitto` user (mkdtemp folders are not).
   */
  dir?: string;
  devices: Array<string | BrokerDevice>;
  /** Users with fleet rights; `['fleet']` by default. */
  fleetUsers?: string[];
  /** Extra client certificates to issue with no ACL entry (such clients can connect but not publish). */
  otherClients?: string[];
  /** Client names to issue certificates for from the rogue CA. */
  rogueClients?: string[];
  /** Port to listen on; a free one by default. */
  port?: number;
  /** Mosquitto executable; `MOSQUITTO` from the environment, else /usr/sbin/mosquitto. */
  executable?: string;
  /** Log every packet (`log_type all`); noisy, for debugging a test. */
  verbose?: boolean;
  /**
   * Keep retained messages and persistent sessions across stop() and restart() (saved at SIGTERM,
   * not at kill()). Off by default, so each start is a clean broker.
   */
  persistence?: boolean;
  /**
   * `max_queued_messages`: QoS 1 and 2 messages Mosquitto queues per client beyond those in
   * flight; 1000 (Mosquitto's default) unless given. Mosquitto drops what exceeds it without
   * telling the publisher, so a burst larger than this to one slow subscriber is lost for it.
   */
  maxQueuedMessages?: number;
}

export interface TestBroker {
  readonly dir: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `mqtts://127.0.0.1:<port>` */
  readonly url: string;
  readonly caFile: string;
  readonly pki: TestPki;
  readonly running: boolean;
  /** Certificate and key files of a device, fleet user or other client named at start. */
  clientCert(name: string): CertificatePair;
  /** Certificate and key files, signed by the rogue CA, of a client named in `rogueClients`. */
  rogueClientCert(name: string): CertificatePair;
  /** Stop with SIGTERM and wait for the process to exit. */
  stop(): Promise<void>;
  /** Stop, then start again on the same port. */
  restart(): Promise<void>;
  /** Start again after stop() or kill(), on the same port. */
  start(): Promise<void>;
  /** SIGKILL, as a crash or power loss would end it. */
  kill(): Promise<void>;
  /** Everything the broker has logged, across restarts. */
  logs(): string;
  /** Wait until a log line matches, or throw after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stop, and remove the working folder if startBroker created it. */
  cleanup(): Promise<void>;
}

// Mosquitto logs this after it has opened every listener.
const READY_LINE = /mosquitto version \S+ running$/;
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startBroker(options: StartBrokerOptions): Promise<TestBroker> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-broker-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const runAs = brokerUser();
  if (runAs.owner !== undefined) assertSearchable(dir);
  const pki = await createTestPki({ dir: path.join(dir, 'pki'), ...(runAs.owner ? { brokerOwner: runAs.owner } : {}) });

  const devices = options.devices.map((device) => (typeof device === 'string' ? { id: device } : device));
  const fleetUsers = options.fleetUsers ?? ['fleet'];
  const names = [...new Set([...devices.map((device) => device.id), ...fleetUsers, ...(options.otherClients ?? [])])];
  const rogueNames = options.rogueClients ?? [];
  const issued = new Map(await Promise.all(names.map(async (name) => [name, await pki.clientCert(name)] as const)));
  const rogueIssued = new Map(await Promise.all(rogueNames.map(async (name) => [name, await pki.rogueClientCert(name)] as const)));

  const port = options.port ?? (await freePort());
  const aclFile = path.join(dir, 'acl');
  fs.writeFileSync(aclFile, aclText(devices, fleetUsers), { mode: 0o644 });
  let persistenceDir: string | undefined;
  if (options.persistence === true) {
    persistenceDir = path.join(dir, 'persistence');
    fs.mkdirSync(persistenceDir, { recursive: true, mode: 0o700 });
    if (runAs.owner !== undefined) fs.chownSync(persistenceDir, runAs.owner.uid, runAs.owner.gid);
  }
  const configFile = path.join(dir, 'mosquitto.conf');
  const config = configText({ port, pki, aclFile, user: runAs.user, verbose: options.verbose ?? false, persistenceDir, maxQueuedMessages: options.maxQueuedMessages });
  fs.writeFileSync(configFile, config, { mode: 0o644 });

  const executable = options.executable ?? process.env.MOSQUITTO ?? '/usr/sbin/mosquitto';
  const logLines: string[] = [];
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error(`Test broker on port ${port} is already running.`);
    const spawned = spawn(executable, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    const collect = (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
    spawned.stdout!.on('data', collect);
    spawned.stderr!.on('data', collect);
    exited = new Promise((resolve) => {
      spawned.once('exit', (code, signal) => {
        logLines.push(`[test broker] process exited with ${signal ?? `code ${code}`}`);
        if (child === spawned) child = undefined;
        resolve();
      });
    });
    spawned.once('error', (error) => logLines.push(`[test broker] spawn failed: ${error.message}`));

    const deadline = Date.now() + START_TIMEOUT_MS;
    const firstLine = logLines.length;
    while (!logLines.slice(firstLine).some((line) => READY_LINE.test(line))) {
      if (child !== spawned) {
        throw new Error(`Mosquitto exited during start-up on port ${port}:\n${logLines.slice(firstLine).join('\n')}`);
      }
      if (Date.now() > deadline) {
        spawned.kill('SIGKILL');
        throw new Error(`Mosquitto did not report "running" within ${START_TIMEOUT_MS} ms:\n${logLines.slice(firstLine).join('\n')}`);
      }
      await sleep(20);
    }
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current === undefined) return;
    current.kill(name);
    const timer = setTimeout(() => current.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  await start();

  const broker: TestBroker = {
    dir,
    host: '127.0.0.1',
    port,
    url: `mqtts://127.0.0.1:${port}`,
    caFile: pki.caFile,
    pki,
    get running() {
      return child !== undefined;
    },
    clientCert(name) {
      const pair = issued.get(name);
      if (pair === undefined) throw new Error(`The test broker issued no certificate for ${JSON.stringify(name)}; list it in devices, fleetUsers or otherClients.`);
      return pair;
    },
    rogueClientCert(name) {
      const pair = rogueIssued.get(name);
      if (pair === undefined) throw new Error(`The test broker issued no rogue certificate for ${JSON.stringify(name)}; list it in rogueClients.`);
      return pair;
    },
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    start,
    async restart() {
      await signal('SIGTERM');
      logLines.push('[test broker] restarting');
      await start();
    },
    logs: () => logLines.join('\n'),
    async waitForLog(pattern, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = logLines.find((candidate) => pattern.test(candidate));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`No broker log line matched ${pattern} within ${timeoutMs} ms.`);
        await sleep(20);
      }
    },
    async cleanup() {
      await signal('SIGTERM');
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return broker;
}

function aclText(devices: BrokerDevice[], fleetUsers: string[]): string {
  const lines = ['# Written by test/support/mosquitto.ts', ''];
  for (const user of fleetUsers) {
    lines.push(`user ${user}`, 'topic read facegate/v1/#', 'topic write facegate/v1/+/+/cmd/#', '');
  }
  for (const device of devices) {
    const prefix = `facegate/v1/${device.site ?? '+'}/${device.id}`;
    lines.push(`user ${device.id}`, `topic write ${prefix}/#`, `topic read ${prefix}/cmd/#`, '');
  }
  return lines.join('\n');
}

interface ConfigSettings {
  port: number;
  pki: TestPki;
  aclFile: string;
  user: string | undefined;
  verbose: boolean;
  persistenceDir: string | undefined;
  maxQueuedMessages: number | undefined;
}

function configText(settings: ConfigSettings): string {
  const logTypes = settings.verbose ? ['all'] : ['error', 'warning', 'notice', 'information', 'subscribe', 'unsubscribe'];
  return [
    '# Written by test/support/mosquitto.ts',
    ...(settings.user === undefined ? [] : [`user ${settings.user}`]),
    'per_listener_settings false',
    'allow_anonymous false',
    ...(settings.persistenceDir === undefined
      ? ['persistence false']
      : ['persistence true', `persistence_location ${settings.persistenceDir}/`, 'persistence_file mosquitto.db']),
    'log_dest stderr',
    ...logTypes.map((type) => `log_type ${type}`),
    'connection_messages true',
    ...(settings.maxQueuedMessages === undefined ? [] : [`max_queued_messages ${settings.maxQueuedMessages}`]),
    `acl_file ${settings.aclFile}`,
    '',
    `listener ${settings.port} 127.0.0.1`,
    `cafile ${settings.pki.caFile}`,
    `certfile ${settings.pki.server.cert}`,
    `keyfile ${settings.pki.server.key}`,
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ].join('\n');
}

/**
 * The user Mosquitto should switch to. As root, that is `mosquitto` (the Debian package creates
 * it), which must then own the broker key; without that user we fall back to `user root`. As any
 * other user Mosquitto cannot switch, so the option is left out.
 */
function brokerUser(): { user: string | undefined; owner?: { uid: number; gid: number } } {
  if (process.getuid?.() !== 0) return { user: undefined };
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'mosquitto');
  if (entry === undefined) return { user: 'root' };
  return { user: 'mosquitto', owner: { uid: Number(entry[2]), gid: Number(entry[3]) } };
}

/** Throw unless other users (the broker after it drops root) can search every folder down to `dir`. */
function assertSearchable(dir: string): void {
  for (let folder = path.dirname(path.resolve(dir)); ; folder = path.dirname(folder)) {
    const mode = fs.statSync(folder).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Mosquitto drops to user mosquitto and cannot reach ${dir}: ${folder} has mode ${(mode & 0o777).toString(8)}. ` +
          'Omit dir to use a fresh temporary folder, or chmod o+x the folders above it.',
      );
    }
    if (folder === path.dirname(folder)) return;
  }
}

/** Find a port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

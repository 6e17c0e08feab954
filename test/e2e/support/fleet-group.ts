import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseFleetConfig, type FleetConfigInput } from '../../../fleet/config.js';
import type { IngestStats } from '../../../fleet/ingest.js';
import { FleetMonitor } from '../../../fleet/monitor.js';
import type { FleetStore } from '../../../fleet/store.js';
import { captureLogs, type CapturedLogs } from '../../support/logs.js';
import type { TestBroker } from '../../support/mosquitto.js';
import { spawnFacegate, type ChildDaemon } from './child-daemon.js';
import type { FleetKeyFiles, GateDevice } from './gate-device.js';

/**
 * Two fleet monitor instances in one MQTT 5 shared-subscription group over one store, as an
 * operator scales the receiver out. One runs in the test process, so the test can query its store.
 * The other is `facegate fleet serve` in its own process. Two receivers on one SQLite file need
 * separate processes anyway: better-sqlite3 blocks its thread while it waits for SQLite's lock,
 * so two connections in one process that both write would wait on each other.
 */
export interface FleetGroup {
  readonly shareGroup: string;
  /** Client ids of the in-process and the child instance, which the store records as `receiver`. */
  readonly instances: readonly [string, string];
  readonly monitor: FleetMonitor;
  readonly store: FleetStore;
  readonly logs: CapturedLogs;
  readonly child: ChildDaemon;
  /** Resolve once the child instance is subscribed at the broker, or reject if it did not start within 30 s. */
  childStarted(): Promise<void>;
  /** Ingest counters of both instances, in the order of `instances`. */
  ingestStats(): Promise<[IngestStats, IngestStats]>;
  /** Log lines of both instances whose message matches. */
  logMatching(pattern: RegExp): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface FleetGroupOptions {
  broker: TestBroker;
  dir: string;
  fleet: FleetKeyFiles;
  devices: readonly GateDevice[];
  store: FleetConfigInput['store'];
  shareGroup: string;
}

function configInput(options: FleetGroupOptions, clientId: string): FleetConfigInput {
  const pair = options.broker.clientCert('fleet');
  return {
    broker: { url: options.broker.url, caFile: options.broker.caFile, certFile: pair.cert, keyFile: pair.key, clientId, shareGroup: options.shareGroup },
    fleetKeys: [options.fleet.privateKeyFile],
    devices: options.devices.map((device) => ({ id: device.deviceId, site: device.siteId, publicKey: device.devicePublicKeyFile })),
    store: options.store,
    http: { host: '127.0.0.1', port: 0, locale: 'en' },
  };
}

/**
 * Start the in-process instance and wait until it is subscribed, then spawn the child without
 * waiting for it (`childStarted()` waits). Messages that arrive before the child subscribes all go
 * to the in-process instance.
 */
export async function startFleetGroup(options: FleetGroupOptions): Promise<FleetGroup> {
  fs.mkdirSync(options.dir, { recursive: true });
  const instances = [`${options.shareGroup}-a`, `${options.shareGroup}-b`] as const;

  const logs = captureLogs('info');
  const configFile = path.join(options.dir, `${instances[0]}.yaml`);
  const monitor = new FleetMonitor({ config: parseFleetConfig(configInput(options, instances[0]), configFile), logger: logs.logger, sweepIntervalMs: 500 });
  // The in-process instance starts first, so it applies the migrations and the child finds them done.
  await monitor.start();

  const childConfig = path.join(options.dir, `${instances[1]}.yaml`);
  fs.writeFileSync(childConfig, `# Written by test/e2e/support/fleet-group.ts\n${stringify(configInput(options, instances[1]))}`, { mode: 0o600 });
  const child = spawnFacegate(['fleet', 'serve', '--config', childConfig]);
  const started = child.waitFor(/^fleet monitor started$/, 1, 30_000).then(() => String(child.matching(/^fleet monitor started$/)[0]!.dashboard));
  // childStarted() and ingestStats() report a failed start. This handler only keeps Node from calling it unhandled.
  started.catch(() => undefined);

  return {
    shareGroup: options.shareGroup,
    instances,
    monitor,
    store: monitor.fleetStore,
    logs,
    child,
    async childStarted() {
      await started;
    },
    async ingestStats() {
      const dashboard = await started;
      const response = await fetch(`${dashboard}/api/health`);
      if (!response.ok) throw new Error(`GET ${dashboard}/api/health returned ${response.status}`);
      const health = (await response.json()) as { ingest: IngestStats };
      return [monitor.stats()!, health.ingest];
    },
    logMatching(pattern) {
      return [...logs.matching(pattern), ...child.matching(pattern)];
    },
    async stop() {
      if (child.child.exitCode === null && child.child.signalCode === null) {
        child.child.kill('SIGTERM');
        await child.exited;
      }
      await monitor.stop();
    },
  };
}

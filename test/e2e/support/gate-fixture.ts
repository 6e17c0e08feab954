import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testDataDir } from '../../../appliance/common/paths.js';
import { validateConfig, type FacegateConfig } from '../../../appliance/config/index.js';
import type { ConfigInput } from '../../../appliance/config/schema.js';
import { Daemon } from '../../../appliance/daemon/daemon.js';
import type { DaemonEvents } from '../../../appliance/daemon/events.js';
import { SimulatedGpio } from '../../../appliance/gpio/simulated.js';
import { enrolPhotos, type CastMember } from '../../../demo/lib/cast.js';
import { gateConfig, loopbackSettings } from '../../../demo/lib/config.js';
import { generateEnvelopeKeys, type DemoKeys } from '../../../demo/lib/keys.js';
import { fleetSubscriber, type EventSubscriber } from '../../../demo/lib/subscriber.js';
import { captureLogs, type CapturedLogs } from '../../support/logs.js';
import { startBroker, type TestBroker } from '../../support/mosquitto.js';
import { enrolSubjects } from './enrol.js';

export const DEVICE_ID = 'gate-e2e';
export const SITE_ID = 'site-e2e';

/** A broker, device keys, an enrolled gallery and a fleet subscriber, for daemons under test. */
export interface GateFixture {
  readonly dir: string;
  readonly stateDir: string;
  readonly dataDir: string;
  readonly broker: TestBroker;
  readonly keys: DemoKeys;
  /** Worker id to pseudonym, for the enrolled cast. */
  readonly pseudonyms: Map<string, string>;
  readonly subscriber: EventSubscriber;
  /** Configuration input for a daemon on `camera`; validate it with `config()`. */
  configInput(camera: ConfigInput['camera'], overrides?: Partial<ConfigInput>): ConfigInput;
  config(camera: ConfigInput['camera'], overrides?: Partial<ConfigInput>): FacegateConfig;
  /** Start a daemon in this process; stopped by cleanup() if the test does not stop it. */
  startDaemon(config: FacegateConfig, options?: { configFile?: string }): Promise<RunningDaemon>;
  cleanup(): Promise<void>;
}

export interface RunningDaemon {
  daemon: Daemon;
  logs: CapturedLogs;
  gpio: SimulatedGpio;
  /** Everything the daemon reported, in order. */
  decisions: Array<DaemonEvents['decision']>;
  committed: Array<DaemonEvents['committed']>;
  analysed: Array<DaemonEvents['analysed']>;
  /** Resolves when a finite camera input has ended. */
  inputEnded: Promise<void>;
}

export interface FixtureOptions {
  enrol?: readonly CastMember[];
  /** Keep retained messages and sessions across broker restarts, with a persistent fleet session. */
  persistence?: boolean;
}

export async function createGateFixture(options: FixtureOptions = {}): Promise<GateFixture> {
  const dataDir = testDataDir();
  // As root, Mosquitto drops to its own user, which must reach the broker folder inside this one.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-e2e-'));
  fs.chmodSync(dir, 0o755);
  const stateDir = path.join(dir, 'state');
  const broker = await startBroker({
    dir: path.join(dir, 'broker'),
    devices: [{ id: DEVICE_ID, site: SITE_ID }],
    fleetUsers: ['fleet'],
    persistence: options.persistence ?? false,
  });
  const keys = await generateEnvelopeKeys(path.join(dir, 'keys'));
  const enrolLogs = captureLogs('warn');
  const pseudonyms = await enrolSubjects(
    stateDir,
    (options.enrol ?? []).map((member) => ({ subjectId: member.subjectId, displayName: member.displayName, photos: enrolPhotos(dataDir, member) })),
    enrolLogs.logger,
  );

  const subscriber = fleetSubscriber(broker, keys, { deviceId: DEVICE_ID, siteId: SITE_ID }, {
    ...(options.persistence === true ? { persistentSession: { clientId: `fleet-e2e-${process.pid}` } } : {}),
  });
  await subscriber.start();

  const running: Daemon[] = [];
  const configInput = (camera: ConfigInput['camera'], overrides: Partial<ConfigInput> = {}): ConfigInput =>
    gateConfig({ ...loopbackSettings(broker, keys, { deviceId: DEVICE_ID, siteId: SITE_ID, stateDir, camera }), logLevel: 'debug' }, overrides);

  return {
    dir,
    stateDir,
    dataDir,
    broker,
    keys,
    pseudonyms,
    subscriber,
    configInput,
    config: (camera, overrides) => validateConfig(configInput(camera, overrides)),
    async startDaemon(config, startOptions = {}) {
      const logs = captureLogs('debug');
      const daemon = await Daemon.start({
        config,
        logger: logs.logger,
        env: {},
        // No systemd here: the clock state must come out as unknown, not from this machine's tools.
        clockSync: { timedatectl: path.join(dir, 'no-timedatectl'), syncedFile: path.join(dir, 'no-sync-file') },
        flushTimeoutMs: 3_000,
        ...(startOptions.configFile === undefined ? {} : { configFile: startOptions.configFile }),
      });
      running.push(daemon);
      const decisions: RunningDaemon['decisions'] = [];
      const committed: RunningDaemon['committed'] = [];
      const analysed: RunningDaemon['analysed'] = [];
      daemon.events.on('analysed', (frame) => analysed.push(frame));
      daemon.events.on('decision', (decision) => decisions.push(decision));
      daemon.events.on('committed', (event) => committed.push(event));
      const inputEnded = new Promise<void>((resolve) => daemon.events.once('input-ended', () => resolve()));
      if (!(daemon.gpio instanceof SimulatedGpio)) throw new Error('the end-to-end daemons run on simulated GPIO');
      return { daemon, logs, gpio: daemon.gpio, decisions, committed, analysed, inputEnded };
    },
    async cleanup() {
      for (const daemon of running) await daemon.stop();
      await subscriber.stop();
      await broker.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolve when `promise` does, or reject after `ms` naming `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

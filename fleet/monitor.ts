import type { Logger } from '../appliance/common/logger.js';
import { AlertManager } from './alerts.js';
import { CommandResults } from './command-results.js';
import type { FleetConfig } from './config.js';
import { DashboardServer } from './http/server.js';
import { Ingestor } from './ingest.js';
import { Presence } from './presence.js';
import { Receiver } from './receiver.js';
import { DeviceRegistry, FleetKeyring } from './registry.js';
import { FleetStore } from './store.js';

/**
 * Composition root of `facegate fleet serve`. Starts, in order: keys and device registry, store
 * (with migrations), alerts, presence, ingest and command results, dashboard, MQTT receiver, sweep
 * timer. stop() releases them in reverse: timer, receiver (no new messages), ingest and command
 * result flush, dashboard, store.
 */

export interface FleetMonitorOptions {
  config: FleetConfig;
  logger: Logger;
  now?: () => number;
  /** How often device silence and audit gaps are checked; 5 s by default. */
  sweepIntervalMs?: number;
}

export class FleetMonitor {
  readonly config: FleetConfig;
  private readonly log: Logger;
  private readonly now: () => number;
  private store: FleetStore | undefined;
  private alerts: AlertManager | undefined;
  private presence: Presence | undefined;
  private ingestor: Ingestor | undefined;
  private receiver: Receiver | undefined;
  private commandResults: CommandResults | undefined;
  private dashboard: DashboardServer | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly removers: Array<() => void> = [];
  private statusWork: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FleetMonitorOptions) {
    this.config = options.config;
    this.log = options.logger.child({ module: 'fleet', instance: options.config.broker.clientId });
    this.now = options.now ?? Date.now;
  }

  get dashboardUrl(): string {
    return this.dashboard?.url ?? '';
  }

  get fleetStore(): FleetStore {
    if (this.store === undefined) throw new Error('The fleet monitor is not started.');
    return this.store;
  }

  stats() {
    return this.ingestor?.stats();
  }

  /** Start every part; resolves once subscribed at the broker, or rejects after `subscribeTimeoutMs` (10 s by default). */
  async start(options: { subscribeTimeoutMs?: number } = {}): Promise<void> {
    const { config, logger } = this.options;

    const registry = DeviceRegistry.load(config.devices);
    const keyring = FleetKeyring.load(config.fleetKeys);
    this.log.info({ devices: registry.devices().length }, 'device registry loaded');

    const store = await FleetStore.open(config.store);
    this.store = store;
    await store.registerDevices(registry.devices());
    this.log.info({ store: store.db.description }, 'store opened');

    const alerts = new AlertManager(store, logger, this.now);
    this.alerts = alerts;
    const presence = new Presence({ store, alerts, logger, telemetryTimeoutMs: config.thresholds.telemetryTimeoutSeconds * 1000, outboxBacklog: config.thresholds.outboxBacklog, now: this.now });
    this.presence = presence;

    const ingestor = new Ingestor({ store, registry, keyring, alerts, logger, receiver: config.broker.clientId, batchSize: config.ingest.batchSize, batchDelayMs: config.ingest.batchDelayMs, now: this.now });
    this.ingestor = ingestor;
    const commandResults = new CommandResults({ store, registry, keyring, alerts, logger, receiver: config.broker.clientId, now: this.now });
    this.commandResults = commandResults;

    const dashboard = new DashboardServer({
      store,
      logger,
      host: config.http.host,
      port: config.http.port,
      locale: config.http.locale,
      token: config.http.token,
      now: this.now,
      health: () => ({ instance: config.broker.clientId, connected: this.receiver?.connected ?? false, ingest: ingestor.stats() }),
    });
    await dashboard.start();
    this.dashboard = dashboard;
    this.removers.push(
      ingestor.on('event', (event) =>
        dashboard.broadcast('attendance', { event_id: event.eventId, device_id: event.deviceId, site_id: event.siteId, wall_time: event.wallTime, subject: event.subject, decision: event.decision, direction: event.direction }),
      ),
      alerts.on('raised', (alert) => dashboard.broadcast('alert', alert)),
      alerts.on('resolved', (resolved) => dashboard.broadcast('alert', resolved)),
    );

    const receiver = new Receiver({
      ...config.broker,
      logger,
      backlog: () => ingestor.backlog,
      onMessage: (topic, parts, payload) => {
        if (parts.channel === 'events' || parts.channel === 'audit') {
          ingestor.accept(parts, topic, payload);
        } else if (parts.channel === 'cmd-result') {
          commandResults.accept(parts, topic, payload);
        } else if (parts.channel === 'status' || parts.channel === 'telemetry') {
          // Status changes apply in arrival order, so they run one after another.
          this.statusWork = this.statusWork
            .then(() => (parts.channel === 'status' ? presence.handleStatus(parts, payload) : presence.handleTelemetry(parts, payload)))
            .then(() => dashboard.broadcast('device', { deviceId: parts.deviceId }))
            .catch((error: unknown) => this.log.error({ err: error, topic }, 'handling a status or telemetry message failed'));
        }
      },
    });
    this.receiver = receiver;
    receiver.start();

    const sweepIntervalMs = this.options.sweepIntervalMs ?? 5000;
    this.sweepTimer = setInterval(() => void this.sweep(), sweepIntervalMs);
    await receiver.waitUntilSubscribed(options.subscribeTimeoutMs ?? 10_000);
    this.log.info({ dashboard: dashboard.url, share: receiver.sharedFilter }, 'fleet monitor started');
  }

  /** Check for silent devices and long-missing audit entries now. */
  async sweep(): Promise<void> {
    try {
      await this.presence?.sweep();
      await this.ingestor?.sweepGaps(this.config.thresholds.chainGapSeconds * 1000);
    } catch (error) {
      this.log.error({ err: error }, 'sweep failed');
    }
  }

  /** Resolve once every message received so far is stored. */
  async flush(): Promise<void> {
    await this.statusWork;
    await this.ingestor?.flush();
    await this.commandResults?.flush();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.receiver?.stop();
    await this.statusWork;
    await this.ingestor?.stop();
    await this.commandResults?.stop();
    for (const remove of this.removers.splice(0)) remove();
    this.alerts?.removeAllListeners();
    await this.dashboard?.stop();
    await this.store?.close();
    this.receiver = undefined;
    this.ingestor = undefined;
    this.commandResults = undefined;
    this.dashboard = undefined;
    this.store = undefined;
    this.log.info('fleet monitor stopped');
  }
}

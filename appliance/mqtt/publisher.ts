import { connect, ReasonCodes, type IClientOptions, type IConnackPacket, type IDisconnectPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../common/logger.js';
import { errorMessage } from '../common/errors.js';
import type { Outbox, OutboxRow } from '../outbox/outbox.js';
import { deviceStatus, type DeviceStatus, type StatusReason } from '../../protocol/status.js';
import { telemetry as telemetrySchema, type Telemetry } from '../../protocol/telemetry.js';
import { deviceTopics, type DeviceTopics } from '../../protocol/topics.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { parseBrokerUrl, readTlsFiles, type BrokerAddress, type TlsSettings } from './client-options.js';
import { diagnose } from './diagnose.js';
import { Drain, type Delivery, type Rejection, type SendOutcome } from './drain.js';
import { readClientIdentity } from './identity.js';
import { RepeatFilter } from './repeat-filter.js';
import { TakeoverDetector } from './takeover.js';
import { TokenBucket } from './token-bucket.js';
import { TypedEvents } from './typed-events.js';
import { matchesFilter } from './topic-filter.js';

/**
 * Publishes the outbox to the broker over MQTT 5 with mutual TLS, and keeps the device's retained
 * `status` current.
 *
 * - Client id: the CN of the device certificate, which is also the device id in every topic.
 * - Outgoing in-flight state lives in our durable outbox, not in mqtt.js memory. After each
 *   CONNACK every undelivered row is sent again; receivers drop duplicates by event id.
 * - With `sessionExpirySeconds` the broker keeps the session, so commands published while the
 *   device was away arrive after the next CONNACK. A message that arrives before any handler has
 *   subscribed to its topic is held until one does (at most MAX_UNCLAIMED).
 * - Reconnects are ours (mqtt.js `reconnectPeriod: 0`): exponential backoff with full jitter,
 *   1 s to 60 s by default. When another client takes our session (see takeover.ts) we wait the
 *   maximum interval instead of taking it back at once.
 * - `connected` is true from the broker's CONNACK until the connection closes.
 * - Status: retained `online` at each CONNACK, retained `offline` as the Last Will, and retained
 *   `offline` published by stop() before a clean DISCONNECT.
 */

export interface MqttPublisherOptions {
  /** `mqtts://host:port`. */
  url: string;
  tls: TlsSettings;
  siteId: string;
  outbox: Outbox;
  logger: Logger;
  /** Firmware version for the status message. */
  firmware: string;
  /** Model name to version, for the status message. */
  models: Record<string, string>;
  /** Outbox drain rate; 50 messages/s with a burst of 10 by default, `null` for no limit. */
  rateLimit?: { messagesPerSecond: number; burst?: number } | null;
  /** Reconnect delays; 1 s to 60 s by default. */
  backoff?: BackoffOptions;
  /** A connection that lasted this long resets the backoff; 30 s by default. */
  stableAfterMs?: number;
  /** A connection that lasted this long ends a session-takeover episode; 3 x the maximum backoff by default. */
  takeoverClearAfterMs?: number;
  /** Most unacknowledged event messages; 20 by default, lowered to fit the broker's Receive Maximum. */
  maxInflight?: number;
  /** Outbox rows read per query; 100 by default. */
  batchSize?: number;
  keepaliveSeconds?: number;
  /**
   * How long the broker keeps this device's session, and the QoS 1 messages for its subscriptions,
   * while the device is away; 0 (the default) ends the session with the connection.
   */
  sessionExpirySeconds?: number;
  connectTimeoutMs?: number;
  /** How often rows the broker rejected are tried again on a live connection; 60 s by default. */
  rescanIntervalMs?: number;
  /** Delay that batches delivered marks into one outbox transaction; 20 ms by default. */
  flushIntervalMs?: number;
  /** How often an identical connection failure is logged again at its full level; 10 minutes by default. */
  repeatLogIntervalMs?: number;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

export type DisconnectReason = 'connect-failed' | 'connection-lost' | 'broker-disconnect' | 'session-taken-over' | 'stopped';

export interface PublisherEvents {
  connecting: { attempt: number; url: string };
  connected: { clientId: string; attempt: number; sessionPresent: boolean };
  disconnected: { reason: DisconnectReason; message: string; reasonCode?: number; retryInMs?: number };
  delivered: Delivery;
  rejected: Rejection;
  error: { error: Error; context: 'connect' | 'status' | 'subscribe' | 'message-handler' };
}

export type TelemetrySample = Omit<Telemetry, 'v' | 'deviceId' | 'siteId' | 'wallTime'>;
export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

export interface StopReport {
  /** Every undelivered row was acknowledged before the timeout. */
  drained: boolean;
  /** Undelivered rows left in the outbox. */
  pending: number;
  /** The retained `offline` status was acknowledged and DISCONNECT sent, so the Last Will was not used. */
  clean: boolean;
}

interface Connection {
  client: MqttClient;
  attempt: number;
  acceptedAt?: number;
  error?: Error;
  disconnect?: IDisconnectPacket;
  drain?: Drain;
  closed: boolean;
}

/** Messages held for a handler that has not subscribed yet; see dispatch(). */
const MAX_UNCLAIMED = 100;
const SESSION_RESERVE = 2; // status and subscribe packets, outside the event window

export class MqttPublisher {
  readonly clientId: string;
  readonly topics: DeviceTopics;
  readonly broker: BrokerAddress;

  private readonly options: MqttPublisherOptions;
  private readonly log: Logger;
  private readonly events: TypedEvents<PublisherEvents>;
  private readonly backoff: Backoff;
  private readonly takeover: TakeoverDetector;
  private readonly limiter: TokenBucket | undefined;
  private readonly failures: RepeatFilter;
  private readonly rejectionsLogged = new Set<string>();
  private readonly subscriptions = new Map<string, Set<MessageHandler>>();
  private readonly unclaimed: Array<{ topic: string; payload: Buffer; packet: IPublishPacket }> = [];
  private readonly now: () => number;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private current: Connection | undefined;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private removeOutboxListener: (() => void) | undefined;
  private stopping: Promise<StopReport> | undefined;

  constructor(options: MqttPublisherOptions) {
    this.options = options;
    this.broker = parseBrokerUrl(options.url);
    const identity = readClientIdentity(options.tls.certFile);
    this.clientId = identity.commonName;
    this.topics = deviceTopics(options.siteId, this.clientId);
    this.log = options.logger.child({ module: 'mqtt', clientId: this.clientId });
    this.events = new TypedEvents(this.log, 'mqtt publisher');
    this.now = options.now ?? Date.now;
    this.backoff = new Backoff(options.backoff);
    this.takeover = new TakeoverDetector({
      stableAfterMs: options.stableAfterMs ?? 30_000,
      clearAfterMs: options.takeoverClearAfterMs ?? 3 * this.backoff.maxMs,
    });
    const rate = options.rateLimit === undefined ? { messagesPerSecond: 50, burst: 10 } : options.rateLimit;
    this.limiter = rate === null ? undefined : new TokenBucket({ ratePerSecond: rate.messagesPerSecond, ...(rate.burst === undefined ? {} : { burst: rate.burst }) });
    this.failures = new RepeatFilter(options.repeatLogIntervalMs ?? 600_000, this.now);

    // Fail at construction, not at the first CONNACK, on a firmware or model string the schema rejects.
    this.statusMessage('offline', 'connection-lost', null);
    if (identity.validTo.getTime() < this.now()) {
      this.log.error({ certFile: options.tls.certFile, validTo: identity.validTo.toISOString() }, 'the device certificate has expired; the broker will reject it');
    }
  }

  /** True from the broker's CONNACK until the connection closes. */
  get connected(): boolean {
    const connection = this.current;
    return connection !== undefined && connection.acceptedAt !== undefined && !connection.closed;
  }

  /** Register a listener; returns a function that removes it. */
  on<K extends keyof PublisherEvents>(event: K, listener: (payload: PublisherEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Connect in the background and keep reconnecting until stop(). */
  start(): void {
    if (this.state !== 'new') throw new Error(`MqttPublisher.start() called in state ${this.state}; a publisher starts once.`);
    this.state = 'running';
    this.removeOutboxListener = this.options.outbox.onEnqueued(() => this.current?.drain?.kick());
    this.log.info({ url: this.broker.url, siteId: this.topics.siteId }, 'publisher starting');
    this.connectOnce();
  }

  /** Resolve at the next CONNACK (now, if connected); reject after `timeoutMs`. */
  waitUntilConnected(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new Error(`Not connected to ${this.broker.url} within ${timeoutMs} ms.`));
      }, timeoutMs);
      const remove = this.events.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Publish a telemetry sample at QoS 0. Returns `offline` while not connected (telemetry is not queued). */
  publishTelemetry(sample: TelemetrySample): 'sent' | 'offline' | 'invalid' {
    const message = { v: 1, deviceId: this.clientId, siteId: this.topics.siteId, wallTime: formatMacauTime(this.now()), ...sample };
    const parsed = telemetrySchema.safeParse(message);
    if (!parsed.success) {
      this.log.error({ issues: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) }, 'telemetry sample fails the schema; not sent');
      return 'invalid';
    }
    const connection = this.current;
    if (!this.connected || connection === undefined) return 'offline';
    connection.client.publish(this.topics.telemetry, JSON.stringify(parsed.data), { qos: 0, retain: false, properties: { contentType: 'application/json' } });
    return 'sent';
  }

  /**
   * Subscribe to `filter` (QoS 1) on every connection from now on; `handler` gets each matching
   * message. Returns a function that removes the handler.
   */
  subscribe(filter: string, handler: MessageHandler): () => void {
    let handlers = this.subscriptions.get(filter);
    if (handlers === undefined) {
      handlers = new Set();
      this.subscriptions.set(filter, handlers);
      if (this.connected) this.subscribeOn(this.current!, [filter]);
    }
    handlers.add(handler);
    // Held messages go out after the caller has finished subscribing, and only if it still is.
    queueMicrotask(() => {
      if (handlers.has(handler)) this.deliverUnclaimed(filter, handler);
    });
    return () => {
      handlers.delete(handler);
      if (handlers.size > 0) return;
      this.subscriptions.delete(filter);
      // A kept session keeps the subscription, so messages published while the device is stopped wait for its next start.
      if (this.connected && (this.options.sessionExpirySeconds ?? 0) === 0) this.current!.client.unsubscribe(filter);
    };
  }

  /**
   * Send what can be sent within `timeoutMs` (about 70 % of it for the outbox, the rest for the
   * retained `offline` status), then DISCONNECT and release every timer and listener.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<StopReport> {
    this.stopping ??= this.stopNow(options.timeoutMs ?? 5_000);
    return this.stopping;
  }

  private async stopNow(timeoutMs: number): Promise<StopReport> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    clearTimeout(this.reconnectTimer);
    this.stopRescan();
    this.removeOutboxListener?.();

    const started = performance.now();
    const remaining = () => Math.max(0, timeoutMs - (performance.now() - started));
    const connection = this.current;
    let drained = false;
    let clean = false;

    if (connection !== undefined && this.connected && connection.drain !== undefined) {
      drained = (await withTimeout(connection.drain.whenIdle(), timeoutMs * 0.7)) !== 'timeout';
      connection.drain.stop();
      const offline = this.statusMessage('offline', 'stopped', formatMacauTime(this.now()));
      const statusAcked = (await withTimeout(this.publishStatus(connection, offline), remaining())) === true;
      clean = statusAcked && (await this.endGracefully(connection, remaining()));
    }
    if (connection !== undefined && !clean) this.release(connection, true);
    this.current = undefined;

    this.state = 'stopped';
    const pending = safeDepth(this.options.outbox);
    if (wasRunning) {
      this.log.info({ drained, clean, pending }, 'publisher stopped');
      this.events.emit('disconnected', { reason: 'stopped', message: 'stopped by the daemon' });
    }
    this.events.removeAll();
    return { drained, pending, clean };
  }

  private connectOnce(): void {
    this.reconnectTimer = undefined;
    if (this.state !== 'running') return;
    const attempt = ++this.attempts;

    let clientOptions: IClientOptions;
    try {
      clientOptions = this.clientOptions();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.log.error({ err: failure, attempt }, failure.message);
      this.events.emit('error', { error: failure, context: 'connect' });
      this.scheduleReconnect(this.backoff.next(), { reason: 'connect-failed', message: failure.message });
      return;
    }

    this.events.emit('connecting', { attempt, url: this.broker.url });
    this.log.debug({ attempt, url: this.broker.url }, 'connecting');
    const client = connect(clientOptions);
    const connection: Connection = { client, attempt, closed: false };
    this.current = connection;
    client.on('connect', (connack) => this.onAccepted(connection, connack));
    client.on('disconnect', (packet) => {
      connection.disconnect = packet;
    });
    client.on('error', (error) => {
      connection.error ??= error;
    });
    client.on('close', () => this.onClosed(connection));
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
  }

  private clientOptions(): IClientOptions {
    const { tls } = this.options;
    const will = this.statusMessage('offline', 'connection-lost', null);
    return {
      protocol: 'mqtts',
      host: this.broker.host,
      port: this.broker.port,
      ...readTlsFiles(tls),
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      rejectUnauthorized: true,
      protocolVersion: 5,
      clientId: this.clientId,
      clean: (this.options.sessionExpirySeconds ?? 0) === 0,
      reconnectPeriod: 0,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      keepalive: this.options.keepaliveSeconds ?? 30,
      queueQoSZero: false,
      resubscribe: false,
      properties: { sessionExpiryInterval: this.options.sessionExpirySeconds ?? 0 },
      will: {
        topic: this.topics.status,
        payload: Buffer.from(JSON.stringify(will)),
        qos: 1,
        retain: true,
        properties: { contentType: 'application/json' },
      },
    };
  }

  private onAccepted(connection: Connection, connack: IConnackPacket): void {
    if (connection !== this.current || connection.closed) return;
    connection.acceptedAt = performance.now();
    this.failures.reset();

    const receiveMaximum = connack.properties?.receiveMaximum;
    const window = Math.max(1, Math.min(this.options.maxInflight ?? 20, (receiveMaximum ?? Number.POSITIVE_INFINITY) - SESSION_RESERVE));
    this.log.info({ url: this.broker.url, attempt: connection.attempt, receiveMaximum, window, pending: safeDepth(this.options.outbox) }, 'connected to the broker');

    const online = this.statusMessage('online', 'connected', formatMacauTime(this.now()));
    void this.publishStatus(connection, online);
    if (this.subscriptions.size > 0) this.subscribeOn(connection, [...this.subscriptions.keys()]);

    connection.drain = new Drain({
      outbox: this.options.outbox,
      log: this.log,
      send: (row, done) => this.sendRow(connection, row, done),
      limiter: this.limiter,
      maxInflight: window,
      batchSize: this.options.batchSize ?? 100,
      flushIntervalMs: this.options.flushIntervalMs ?? 20,
      now: this.now,
      onDelivered: (delivery) => this.events.emit('delivered', delivery),
      onRejected: (rejection) => this.onRejected(rejection),
    });
    connection.drain.start();
    this.startRescan(connection);
    this.events.emit('connected', { clientId: this.clientId, attempt: connection.attempt, sessionPresent: connack.sessionPresent });
  }

  private sendRow(connection: Connection, row: OutboxRow, done: (outcome: SendOutcome) => void): void {
    const sealed = row.topic === this.topics.events || row.topic === this.topics.audit || row.topic === this.topics.cmdResult;
    const contentType = sealed ? 'application/jose' : 'application/json';
    connection.client.publish(row.topic, row.payload, { qos: 1, retain: false, properties: { contentType } }, (error, packet) => {
      done(publishOutcome(error, packet));
    });
  }

  private onRejected(rejection: Rejection): void {
    // Log the first rejection of each row at error; rescans retry it, and those repeats go to debug.
    const first = !this.rejectionsLogged.has(rejection.id);
    if (first) {
      if (this.rejectionsLogged.size >= 10_000) this.rejectionsLogged.clear();
      this.rejectionsLogged.add(rejection.id);
    }
    const text = `the broker rejected ${rejection.topic} message ${rejection.id}: ${rejection.reason} (0x${rejection.reasonCode.toString(16)}); it stays in the outbox`;
    if (first) this.log.error({ ...rejection, hint: 'check the broker ACL for this client id and topic' }, text);
    else this.log.debug(rejection, text);
    this.events.emit('rejected', rejection);
  }

  private onClosed(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.drain?.stop();
    if (this.current === connection) {
      this.current = undefined;
      this.stopRescan();
    }
    this.release(connection, true);
    if (this.state !== 'running') return;

    const accepted = connection.acceptedAt !== undefined;
    const lifetimeMs = accepted ? performance.now() - connection.acceptedAt! : 0;
    const reasonCode = connection.disconnect?.reasonCode;
    const verdict = this.takeover.onClose({ reasonCode, accepted, failed: connection.error !== undefined, lifetimeMs });
    if (verdict.cleared) this.log.info('connection stable again; the session takeover episode is over');
    if (accepted && lifetimeMs >= (this.options.stableAfterMs ?? 30_000)) this.backoff.reset();

    if (verdict.takeover) {
      const delay = this.backoff.maximum();
      const evidence =
        verdict.evidence === 'reason-code'
          ? 'the broker sent DISCONNECT 0x8E (Session taken over)'
          : 'the broker closed two accepted connections in a row without a reason code';
      const message = `another client connected with client id ${this.clientId} and took over the session (${evidence}); retrying every ${formatSeconds(delay)} instead of taking it back`;
      if (verdict.firstOfEpisode) {
        this.log.error({ evidence: verdict.evidence, retryInMs: delay, hint: `check that no other device or process uses the certificate with CN=${this.clientId}` }, message);
      } else {
        this.log.debug({ evidence: verdict.evidence, retryInMs: delay }, 'session taken over again');
      }
      this.scheduleReconnect(delay, { reason: 'session-taken-over', message, ...(reasonCode === undefined ? {} : { reasonCode }) });
      return;
    }

    const delay = this.backoff.next();
    if (reasonCode !== undefined) {
      const reason = ReasonCodes[reasonCode as keyof typeof ReasonCodes] ?? 'unknown reason';
      const message = `the broker closed the connection: ${reason} (0x${reasonCode.toString(16)})`;
      this.log.warn({ reasonCode, retryInMs: delay }, message);
      this.scheduleReconnect(delay, { reason: 'broker-disconnect', message, reasonCode });
    } else if (accepted) {
      const message = `the connection to ${this.broker.url} was lost${connection.error === undefined ? '' : `: ${errorMessage(connection.error)}`}`;
      this.log.warn({ err: connection.error, lifetimeMs: Math.round(lifetimeMs), retryInMs: delay }, message);
      this.scheduleReconnect(delay, { reason: 'connection-lost', message });
    } else {
      this.reportConnectFailure(connection, delay);
    }
  }

  private reportConnectFailure(connection: Connection, delay: number): void {
    const error = connection.error ?? new Error('the connection closed before the broker answered');
    const diagnosis = diagnose(error, this.broker.url, this.options.tls);
    const message = `cannot connect: ${diagnosis.summary}`;
    const { log, repeats } = this.failures.check(diagnosis.summary);
    const fields = { code: diagnosis.code, kind: diagnosis.kind, hint: diagnosis.hint, attempt: connection.attempt, retryInMs: delay, repeats };
    if (!log) this.log.debug(fields, message);
    else if (diagnosis.kind === 'network' || diagnosis.kind === 'timeout') this.log.warn(fields, message);
    else this.log.error(fields, message);
    if (log && diagnosis.kind !== 'network' && diagnosis.kind !== 'timeout') this.events.emit('error', { error, context: 'connect' });
    const code: unknown = (error as { code?: unknown }).code;
    const reasonCode = typeof code === 'number' ? code : undefined;
    this.scheduleReconnect(delay, { reason: 'connect-failed', message, ...(reasonCode === undefined ? {} : { reasonCode }) });
  }

  private scheduleReconnect(delay: number, event: Omit<PublisherEvents['disconnected'], 'retryInMs'>): void {
    this.events.emit('disconnected', { ...event, retryInMs: delay });
    if (this.state !== 'running') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connectOnce(), delay);
  }

  private startRescan(connection: Connection): void {
    this.stopRescan();
    const interval = this.options.rescanIntervalMs ?? 60_000;
    this.rescanTimer = setInterval(() => connection.drain?.rescan(), interval);
  }

  private stopRescan(): void {
    clearInterval(this.rescanTimer);
    this.rescanTimer = undefined;
  }

  private publishStatus(connection: Connection, status: DeviceStatus): Promise<boolean> {
    return new Promise((resolve) => {
      connection.client.publish(
        this.topics.status,
        JSON.stringify(status),
        { qos: 1, retain: true, properties: { contentType: 'application/json' } },
        (error, packet) => {
          const outcome = publishOutcome(error, packet);
          if (outcome.kind === 'acked') return resolve(true);
          const detail = outcome.kind === 'rejected' ? `${outcome.reason} (0x${outcome.reasonCode.toString(16)})` : errorMessage(outcome.error);
          const failure = new Error(`publishing the retained ${status.state} status failed: ${detail}`);
          if (outcome.kind === 'rejected') {
            this.log.error({ topic: this.topics.status, hint: 'check the broker ACL for the status topic' }, failure.message);
            this.events.emit('error', { error: failure, context: 'status' });
          } else {
            this.log.debug({ err: outcome.error }, failure.message);
          }
          resolve(false);
        },
      );
    });
  }

  private subscribeOn(connection: Connection, filters: string[]): void {
    connection.client.subscribe(filters, { qos: 1 }, (error, granted) => {
      const refused = (granted ?? []).filter((grant) => grant.qos >= 0x80).map((grant) => grant.topic);
      if (error === null && refused.length === 0) {
        this.log.debug({ filters }, 'subscribed');
        return;
      }
      const failure = new Error(`subscribing to ${(refused.length > 0 ? refused : filters).join(', ')} failed: ${error === null ? 'rejected by the broker' : errorMessage(error)}`);
      this.log.error({ hint: 'check the broker ACL for read access to these topics' }, failure.message);
      this.events.emit('error', { error: failure, context: 'subscribe' });
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    let claimed = false;
    for (const [filter, handlers] of this.subscriptions) {
      if (!matchesFilter(filter, topic)) continue;
      for (const handler of handlers) {
        claimed = true;
        this.runHandler(handler, topic, payload, packet);
      }
    }
    if (claimed) return;
    // A kept session delivers queued messages right after CONNACK, possibly before the module that
    // handles them has subscribed.
    this.unclaimed.push({ topic, payload, packet });
    if (this.unclaimed.length > MAX_UNCLAIMED) {
      const dropped = this.unclaimed.shift()!;
      this.log.warn({ topic: dropped.topic, held: MAX_UNCLAIMED }, 'message dropped: no handler subscribed to its topic');
    }
  }

  private deliverUnclaimed(filter: string, handler: MessageHandler): void {
    const matching = this.unclaimed.filter((message) => matchesFilter(filter, message.topic));
    if (matching.length === 0) return;
    this.unclaimed.splice(0, this.unclaimed.length, ...this.unclaimed.filter((message) => !matching.includes(message)));
    for (const message of matching) this.runHandler(handler, message.topic, message.payload, message.packet);
  }

  private runHandler(handler: MessageHandler, topic: string, payload: Buffer, packet: IPublishPacket): void {
    try {
      handler(topic, payload, packet);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.log.error({ err: failure, topic }, 'message handler threw');
      this.events.emit('error', { error: failure, context: 'message-handler' });
    }
  }

  /** Send DISCONNECT (reason 0, so the broker discards the Last Will) and wait for the socket to close. */
  private async endGracefully(connection: Connection, timeoutMs: number): Promise<boolean> {
    connection.closed = true;
    const ended = new Promise<void>((resolve) => connection.client.end(false, { reasonCode: 0 }, () => resolve()));
    const finished = (await withTimeout(ended, timeoutMs)) !== 'timeout';
    if (!finished) this.log.warn({ timeoutMs }, 'DISCONNECT did not complete in time; closing the socket');
    this.release(connection, !finished);
    return finished;
  }

  /** Drop our listeners from a finished client and make sure its socket and timers are gone. */
  private release(connection: Connection, force: boolean): void {
    connection.closed = true;
    const { client } = connection;
    client.removeAllListeners();
    // mqtt.js may still report errors from a closing socket; with no listener they would be thrown.
    client.on('error', () => undefined);
    if (force) {
      client.end(true);
      client.stream?.destroy();
    }
  }

  private statusMessage(state: DeviceStatus['state'], reason: StatusReason, since: string | null): DeviceStatus {
    const status = {
      v: 1,
      deviceId: this.clientId,
      siteId: this.topics.siteId,
      state,
      firmware: this.options.firmware,
      models: this.options.models,
      since,
      reason,
    };
    const parsed = deviceStatus.safeParse(status);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
      throw new Error(`The status message is invalid (${issues}); check the firmware version and model versions passed to MqttPublisher.`);
    }
    return parsed.data;
  }
}

/** Interpret the publish callback of mqtt.js 5: a PUBACK reason code of 0x80 or more is a rejection. */
function publishOutcome(error: Error | undefined | null, packet: unknown): SendOutcome {
  const errorCode = error === undefined || error === null ? undefined : (error as { code?: unknown }).code;
  if (error !== undefined && error !== null && typeof errorCode !== 'number') return { kind: 'lost', error };
  const reasonCode = typeof errorCode === 'number' ? errorCode : ((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0);
  if (reasonCode >= 0x80) {
    return { kind: 'rejected', reasonCode, reason: ReasonCodes[reasonCode as keyof typeof ReasonCodes] ?? 'unknown reason' };
  }
  return { kind: 'acked', reasonCode };
}

/** Await `promise` for at most `ms`; returns its value, or `'timeout'` if it has not settled by then. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `1.5 s` below ten seconds, `60 s` above. */
function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds)} s`;
}

function safeDepth(outbox: Outbox): number {
  try {
    return outbox.depth();
  } catch {
    return -1;
  }
}

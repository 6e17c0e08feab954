import fs from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../appliance/common/logger.js';
import { errorMessage } from '../appliance/common/errors.js';
import { TOPIC_ROOT, fleetFilter, parseTopic, type TopicParts } from '../protocol/topics.js';

/**
 * The fleet's MQTT 5 client: mutual TLS, a persistent session, and a shared subscription
 * `$share/<group>/facegate/v1/#` so the instances of one group split the fleet's messages. MQTT 5
 * sends no retained messages to a shared subscription, so each instance also subscribes to
 * `facegate/v1/+/+/status` on its own to learn every device's last status when it connects.
 *
 * Incoming QoS 1 messages are acknowledged when handed to the handler. While the handler reports
 * more than `maxBacklog` messages waiting, acknowledgements are held back, which stops the broker
 * from sending more (its Receive Maximum window fills).
 */

export interface ReceiverOptions {
  url: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  servername?: string | undefined;
  clientId: string;
  shareGroup: string;
  sessionExpirySeconds: number;
  logger: Logger;
  onMessage(topic: string, parts: TopicParts, payload: Buffer): void;
  /** Messages received but not yet processed, for back-pressure. */
  backlog(): number;
  maxBacklog?: number;
}

export class Receiver {
  private client: MqttClient | undefined;
  private readonly log: Logger;
  private subscribed = false;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: ReceiverOptions) {
    this.log = options.logger.child({ module: 'receiver', clientId: options.clientId });
  }

  get sharedFilter(): string {
    return `$share/${this.options.shareGroup}/${TOPIC_ROOT}/#`;
  }

  get connected(): boolean {
    return this.client?.connected === true && this.subscribed;
  }

  start(): void {
    const { options } = this;
    const clientOptions: IClientOptions = {
      protocolVersion: 5,
      clientId: options.clientId,
      clean: false,
      properties: { sessionExpiryInterval: options.sessionExpirySeconds, receiveMaximum: 200 },
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      keepalive: 30,
      rejectUnauthorized: true,
      ca: fs.readFileSync(options.caFile),
      cert: fs.readFileSync(options.certFile),
      key: fs.readFileSync(options.keyFile),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      resubscribe: false,
    };
    const client = connect(options.url, clientOptions);
    this.client = client;
    const maxBacklog = options.maxBacklog ?? 5000;
    client.handleMessage = (_packet, done) => {
      if (options.backlog() < maxBacklog) {
        done();
        return;
      }
      const poll = setInterval(() => {
        if (options.backlog() >= maxBacklog && this.client === client) return;
        clearInterval(poll);
        done();
      }, 5);
    };
    client.on('connect', (connack) => {
      this.log.info({ url: options.url, sessionPresent: connack.sessionPresent }, 'connected to the broker');
      void this.subscribe(client);
    });
    client.on('message', (topic, payload) => {
      const parts = parseTopic(topic);
      if (parts === undefined) {
        this.log.warn({ topic }, 'message on a topic outside facegate/v1; ignored');
        return;
      }
      options.onMessage(topic, parts, payload);
    });
    client.on('close', () => {
      if (this.subscribed) this.log.warn('disconnected from the broker; reconnecting');
      this.subscribed = false;
    });
    client.on('error', (error) => this.log.error({ err: error }, `broker connection error: ${errorMessage(error)}`));
  }

  /** Resolve once subscribed; reject after `timeoutMs`. */
  waitUntilSubscribed(timeoutMs: number): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Not subscribed at ${this.options.url} within ${timeoutMs} ms.`)), timeoutMs);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async subscribe(client: MqttClient): Promise<void> {
    const filters = [this.sharedFilter, fleetFilter('status')];
    try {
      const granted = await client.subscribeAsync(filters, { qos: 1 });
      const rejected = granted.filter((grant) => grant.qos >= 0x80);
      if (rejected.length > 0) {
        const topics = rejected.map((grant) => grant.topic).join(', ');
        throw new Error(`the broker rejected the subscription to ${topics}; check its ACL for read access to facegate/v1/#`);
      }
      this.subscribed = true;
      this.log.info({ filters }, 'subscribed');
      for (const resolve of this.waiting.splice(0)) resolve();
    } catch (error) {
      this.log.error({ err: error }, `subscribing failed: ${errorMessage(error)}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    await client.endAsync(false).catch(() => client.end(true));
  }
}

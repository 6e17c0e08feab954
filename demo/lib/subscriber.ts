import fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';
import { openEvent } from '../../protocol/envelope.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { fleetFilter } from '../../protocol/topics.js';
import type { TestBroker } from '../../test/support/mosquitto.js';
import type { DemoKeys } from './keys.js';

/** One event as the fleet side received it, decrypted and verified. */
export interface ReceivedEvent {
  topic: string;
  event: AttendanceEvent;
  signerKid: string;
  receivedAt: number;
}

export interface SubscriberOptions {
  url: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The fleet's private key that events are encrypted to. */
  fleetPrivateKeyFile: string;
  /** Registered devices: public signing key file, device id and site. */
  devices: Array<{ publicKeyFile: string; deviceId: string; siteId: string }>;
  /**
   * Keep the subscription across disconnects and broker restarts under this client id, so the
   * broker queues events while the subscriber is away (the broker needs persistence for restarts).
   */
  persistentSession?: { clientId: string };
  onEvent?(received: ReceivedEvent): void;
  onRejected?(topic: string, error: Error): void;
}

/**
 * A small fleet-side receiver: subscribes to every device's events at QoS 1, decrypts each one with
 * the fleet key, verifies the signature against the registered device key, and checks the topic.
 * Duplicates (the device sends again whatever was not acknowledged) are kept in `all` and dropped
 * from `unique`, by event id, as a real receiver drops them.
 */
export class EventSubscriber {
  readonly all: ReceivedEvent[] = [];
  readonly unique = new Map<string, ReceivedEvent>();
  readonly rejected: Array<{ topic: string; error: Error }> = [];
  private client: MqttClient | undefined;
  private readonly fleetKey: KeyObject;
  private readonly registry = new Map<string, { publicKey: KeyObject; deviceId: string; siteId: string }>();
  private processing: Promise<void> = Promise.resolve();

  constructor(private readonly options: SubscriberOptions) {
    this.fleetKey = loadPrivateKey(options.fleetPrivateKeyFile);
    for (const device of options.devices) {
      const publicKey = loadPublicKey(device.publicKeyFile);
      this.registry.set(keyId(publicKey), { publicKey, deviceId: device.deviceId, siteId: device.siteId });
    }
  }

  async start(): Promise<void> {
    const persistent = this.options.persistentSession;
    const client = connect(this.options.url, {
      protocolVersion: 5,
      clientId: persistent?.clientId ?? `fleet-demo-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: persistent === undefined,
      ...(persistent === undefined ? {} : { properties: { sessionExpiryInterval: 3_600 } }),
      ca: fs.readFileSync(this.options.caFile),
      cert: fs.readFileSync(this.options.certFile),
      key: fs.readFileSync(this.options.keyFile),
      reconnectPeriod: 200,
      connectTimeout: 5_000,
    });
    this.client = client;
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => {
      // Open messages one at a time, so they are reported in arrival order.
      this.processing = this.processing.then(() => this.open(topic, payload.toString('utf8')));
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the fleet subscriber could not connect to ${this.options.url}`)), 5_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const granted = await client.subscribeAsync(fleetFilter('events'), { qos: 1 });
    if (granted.some((grant) => grant.qos >= 0x80)) throw new Error('the broker rejected the fleet subscription to events');
  }

  /** Wait until `count` distinct events arrived, or throw after `timeoutMs`. */
  async waitForUnique(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.unique.size < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.unique.size} of ${count} events arrived within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.processing;
  }

  async stop(): Promise<void> {
    await this.processing;
    await this.client?.endAsync();
    this.client = undefined;
  }

  private async open(topic: string, payload: string): Promise<void> {
    try {
      const opened = await openEvent(payload, {
        fleetPrivateKey: this.fleetKey,
        resolveDeviceKey: (kid) => this.registry.get(kid),
        topic,
      });
      const received: ReceivedEvent = { topic, event: opened.payload, signerKid: opened.signerKid, receivedAt: Date.now() };
      this.all.push(received);
      if (this.unique.has(received.event.eventId)) return;
      this.unique.set(received.event.eventId, received);
      this.options.onEvent?.(received);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.rejected.push({ topic, error: failure });
      this.options.onRejected?.(topic, failure);
    }
  }
}

/** Build a subscriber with the broker's `fleet` certificate that opens the events of one device. */
export function fleetSubscriber(
  broker: TestBroker,
  keys: DemoKeys,
  device: { deviceId: string; siteId: string },
  options: Pick<SubscriberOptions, 'persistentSession' | 'onEvent' | 'onRejected'> = {},
): EventSubscriber {
  const fleet = broker.clientCert('fleet');
  return new EventSubscriber({
    url: broker.url,
    caFile: broker.caFile,
    certFile: fleet.cert,
    keyFile: fleet.key,
    fleetPrivateKeyFile: keys.fleetPrivateKeyFile,
    devices: [{ publicKeyFile: keys.devicePublicKeyFile, ...device }],
    ...options,
  });
}

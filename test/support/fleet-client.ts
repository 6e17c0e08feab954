import fs from 'node:fs';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { TestBroker } from './mosquitto.js';

/** One message as the fleet side saw it. */
export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  packet: IPublishPacket;
}

export interface FleetClient {
  client: MqttClient;
  messages: ReceivedMessage[];
  /** Wait until `predicate` holds for the messages received so far; throws after `timeoutMs`. */
  waitFor(predicate: (messages: ReceivedMessage[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  publish(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface FleetClientOptions {
  /** Certificate name issued by the test broker; `fleet` by default. */
  user?: string;
  clientId?: string;
  filters: string[];
  /** Keep the session across disconnects and broker restarts (needs broker persistence). */
  persistentSession?: boolean;
}

/**
 * A plain mqtt.js client with the fleet certificate, subscribed at QoS 1, that records every
 * message. It replaces the fleet receiver in appliance tests.
 */
export async function connectFleetClient(broker: TestBroker, options: FleetClientOptions): Promise<FleetClient> {
  const pair = broker.clientCert(options.user ?? 'fleet');
  const persistent = options.persistentSession ?? false;
  const clientOptions: IClientOptions = {
    protocolVersion: 5,
    clientId: options.clientId ?? `${options.user ?? 'fleet'}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    clean: !persistent,
    ...(persistent ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    reconnectPeriod: 100,
    connectTimeout: 5_000,
    ca: fs.readFileSync(broker.caFile),
    cert: fs.readFileSync(pair.cert),
    key: fs.readFileSync(pair.key),
  };
  const client = connect(broker.url, clientOptions);
  const messages: ReceivedMessage[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, packet }));
  client.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Fleet client did not connect to ${broker.url}.`)), 5_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const granted = await client.subscribeAsync(options.filters, { qos: 1 });
  const refused = granted.filter((grant) => grant.qos >= 0x80);
  if (refused.length > 0) throw new Error(`Fleet client subscription refused: ${refused.map((grant) => grant.topic).join(', ')}`);

  return {
    client,
    messages,
    async waitFor(predicate, timeoutMs = 10_000, what = 'the expected messages') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; ${messages.length} messages received.`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async publish(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}

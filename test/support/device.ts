import path from 'node:path';
import type { Logger } from '../../appliance/common/logger.js';
import { Outbox, type OutboxOptions, type OutboxRow } from '../../appliance/outbox/outbox.js';
import { MqttPublisher, type MqttPublisherOptions } from '../../appliance/mqtt/publisher.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { envelopeTestKeys, eventSealer, type EnvelopeTestKeys } from './events.js';
import { captureLogs, type CapturedLogs } from './logs.js';
import type { TestBroker } from './mosquitto.js';

/** An outbox and a publisher wired as the daemon wires them, against a test broker. */
export interface TestDevice {
  deviceId: string;
  siteId: string;
  outbox: Outbox;
  publisher: MqttPublisher;
  logs: CapturedLogs;
  keys: EnvelopeTestKeys;
  /** Seal and commit `count` sample events; returns the rows in order. */
  enqueueEvents(count: number, overrides?: Partial<AttendanceEvent>): Promise<OutboxRow[]>;
  /** Stop the publisher (if started) and close the outbox. */
  close(): Promise<void>;
}

export interface TestDeviceOptions {
  broker: TestBroker;
  /** Folder for the outbox; `<dir>/<deviceId>` is used. */
  dir: string;
  deviceId: string;
  siteId: string;
  /** Certificate name at the broker; the device id by default (several publishers may share one). */
  certificate?: string;
  /** Use the rogue CA's client certificate instead of the trusted one. */
  rogueCertificate?: boolean;
  /** CA file the publisher trusts; the broker's CA by default. */
  caFile?: string;
  logger?: Logger;
  outbox?: Partial<OutboxOptions>;
  publisher?: Partial<MqttPublisherOptions>;
  /** Reuse envelope keys, for example to open the events on the fleet side. */
  keys?: EnvelopeTestKeys;
}

export function createTestDevice(options: TestDeviceOptions): TestDevice {
  const logs = captureLogs();
  const logger = options.logger ?? logs.logger;
  const keys = options.keys ?? envelopeTestKeys();
  const outbox = Outbox.open({ stateDir: path.join(options.dir, options.deviceId), deviceId: options.deviceId, logger, ...options.outbox });
  const name = options.certificate ?? options.deviceId;
  const pair = options.rogueCertificate === true ? options.broker.rogueClientCert(name) : options.broker.clientCert(name);
  let publisher: MqttPublisher;
  try {
    publisher = new MqttPublisher({
    url: options.broker.url,
    tls: { caFile: options.caFile ?? options.broker.caFile, certFile: pair.cert, keyFile: pair.key },
    siteId: options.siteId,
    outbox,
    logger,
    firmware: '0.1.0-test',
    models: { fr_detect: '6c0256cc', fr_feature: '0d1c3a9e' },
    rateLimit: null,
    backoff: { baseMs: 50, maxMs: 500 },
    ...options.publisher,
    });
  } catch (error) {
    void outbox.close();
    throw error;
  }

  return {
    deviceId: options.deviceId,
    siteId: options.siteId,
    outbox,
    publisher,
    logs,
    keys,
    async enqueueEvents(count, overrides = {}) {
      const seal = eventSealer(keys, { deviceId: options.deviceId, siteId: options.siteId, ...overrides });
      const rows: OutboxRow[] = [];
      for (let i = 0; i < count; i++) rows.push(await outbox.enqueue({ seal }));
      return rows;
    },
    async close() {
      await publisher.stop({ timeoutMs: 2_000 });
      await outbox.close();
    },
  };
}

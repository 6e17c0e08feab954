import { AuditLog, type AuditDraft } from '../../../appliance/audit/log.js';
import { AuditShipper } from '../../../appliance/audit/shipper.js';
import type { OutboxRow } from '../../../appliance/outbox/outbox.js';
import { sealEvent } from '../../../protocol/envelope.js';
import type { AttendanceEvent } from '../../../protocol/event.js';
import { generateSigningKeyPair, keyId } from '../../../protocol/keys.js';
import { channelTopic } from '../../../protocol/topics.js';
import { createTestDevice, type TestDevice } from '../../support/device.js';
import { sampleEvent, type EnvelopeTestKeys } from '../../support/events.js';
import type { TestBroker } from '../../support/mosquitto.js';

/**
 * A simulated gate: the real Outbox, MqttPublisher, AuditLog and AuditShipper wired as the daemon
 * wires them, with events and their audit entries committed in one transaction. Only the camera
 * and the decision are replaced by `clockIn()`.
 */
export interface SimDevice {
  deviceId: string;
  siteId: string;
  device: TestDevice;
  audit: AuditLog;
  shipper: AuditShipper;
  keys: EnvelopeTestKeys;
  start(): void;
  clockIn(subject: string, overrides?: Partial<AttendanceEvent>): Promise<OutboxRow>;
  record(draft: AuditDraft): void;
  close(): Promise<void>;
}

export function createSimDevice(options: {
  broker: TestBroker;
  dir: string;
  deviceId: string;
  siteId: string;
  fleet: EnvelopeTestKeys['fleet'];
  checkpointEvery?: number;
}): SimDevice {
  const signing = generateSigningKeyPair();
  const keys: EnvelopeTestKeys = { device: { ...signing, kid: keyId(signing.publicKey) }, fleet: options.fleet };
  const device = createTestDevice({ broker: options.broker, dir: options.dir, deviceId: options.deviceId, siteId: options.siteId, keys });
  const audit = AuditLog.attach({ outbox: device.outbox, siteId: options.siteId, logger: device.logs.logger, clock: () => ({ state: 'synced', source: 'ntp' }) });
  const shipper = new AuditShipper({
    audit,
    outbox: device.outbox,
    logger: device.logs.logger,
    deviceSigningKey: keys.device.privateKey,
    deviceKid: keys.device.kid,
    fleetPublicKey: keys.fleet.publicKey,
    fleetKid: keys.fleet.kid,
    checkpointEvery: options.checkpointEvery ?? 10,
  });
  return {
    deviceId: options.deviceId,
    siteId: options.siteId,
    device,
    audit,
    shipper,
    keys,
    start() {
      device.publisher.start();
      shipper.start();
    },
    async clockIn(subject, overrides = {}) {
      const auditId = audit.newEntryId();
      return device.outbox.enqueue({
        seal: async (seq) => {
          const event = sampleEvent({ deviceId: options.deviceId, siteId: options.siteId, subject, auditEntryId: auditId, ...overrides, seq });
          const payload = await sealEvent(event, { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid });
          return { id: event.eventId, topic: channelTopic(options.siteId, options.deviceId, 'events'), payload };
        },
        within: (db, row) =>
          audit.append(db, {
            id: auditId,
            actor: { kind: 'worker', id: subject },
            action: 'recognition.decision',
            object: { kind: 'door', id: 'main' },
            outcome: overrides.decision === undefined || overrides.decision === 'granted' ? 'success' : 'denied',
            reason: overrides.reason ?? 'match',
            eventId: row.id,
          }),
      });
    },
    record(draft) {
      audit.record(draft);
    },
    async close() {
      await shipper.stop();
      await device.close();
    },
  };
}

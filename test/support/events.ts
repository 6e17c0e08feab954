import type { KeyObject } from 'node:crypto';
import { sealEvent } from '../../protocol/envelope.js';
import type { AttendanceEvent } from '../../protocol/event.js';
import { generateEncryptionKeyPair, generateSigningKeyPair, keyId } from '../../protocol/keys.js';
import { channelTopic } from '../../protocol/topics.js';
import { uuidv7 } from '../../protocol/uuidv7.js';
import { formatMacauTime, monotonicNowMs } from '../../protocol/wall-time.js';

/** Build a valid attendance event for tests; any field can be overridden. */
export function sampleEvent(overrides: Partial<AttendanceEvent> = {}): AttendanceEvent {
  return {
    v: 1,
    eventId: uuidv7(),
    deviceId: 'gate-01',
    siteId: 'mo-taipa-01',
    seq: 1,
    wallTime: formatMacauTime(),
    monotonicMs: monotonicNowMs(),
    clock: { state: 'synced', source: 'ntp' },
    subject: 'sub_01J9ZK3M4Q',
    decision: 'granted',
    method: 'face',
    scores: { match: 0.71, margin: 0.22, liveness: 0.98 },
    direction: 'in',
    doorActuated: true,
    models: { fr_detect: '6c0256cc', fr_feature: '0d1c3a9e' },
    auditEntryId: uuidv7(),
    reason: 'match',
    ...overrides,
  };
}

/** One device signing key and one fleet encryption key, with their kids. */
export interface EnvelopeTestKeys {
  device: { privateKey: KeyObject; publicKey: KeyObject; kid: string };
  fleet: { privateKey: KeyObject; publicKey: KeyObject; kid: string };
}

export function envelopeTestKeys(curve: 'X25519' | 'P-256' = 'X25519'): EnvelopeTestKeys {
  const device = generateSigningKeyPair();
  const fleet = generateEncryptionKeyPair(curve);
  return {
    device: { ...device, kid: keyId(device.publicKey) },
    fleet: { ...fleet, kid: keyId(fleet.publicKey) },
  };
}

/** Seal sample events for the outbox: `outbox.enqueue({ seal: eventSealer(keys) })`. */
export function eventSealer(keys: EnvelopeTestKeys, overrides: Partial<AttendanceEvent> = {}) {
  return async (seq: number): Promise<{ id: string; topic: string; payload: string }> => {
    const event = sampleEvent({ ...overrides, seq });
    const payload = await sealEvent(event, {
      deviceSigningKey: keys.device.privateKey,
      deviceKid: keys.device.kid,
      fleetPublicKey: keys.fleet.publicKey,
      fleetKid: keys.fleet.kid,
    });
    return { id: event.eventId, topic: channelTopic(event.siteId, event.deviceId, 'events'), payload };
  };
}

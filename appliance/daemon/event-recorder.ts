import type { KeyObject } from 'node:crypto';
import type { AuditLog } from '../audit/index.js';
import type { Logger } from '../common/logger.js';
import type { Outbox, OutboxRow } from '../outbox/outbox.js';
import type { ClockSyncState } from '../telemetry/clock-sync.js';
import { sealEvent } from '../../protocol/envelope.js';
import type { AttendanceEvent, Decision, Method } from '../../protocol/event.js';
import { keyId, loadPrivateKey, loadPublicKey } from '../../protocol/keys.js';
import { channelTopic } from '../../protocol/topics.js';
import { Uuidv7Generator } from '../../protocol/uuidv7.js';
import { formatMacauTime, monotonicNowMs } from '../../protocol/wall-time.js';
import { auditDraftForEvent } from './audit-trail.js';

/** The device's signing key and the fleet key events are encrypted to, with their key ids. */
export interface EventKeys {
  deviceSigningKey: KeyObject;
  deviceKid: string;
  fleetPublicKey: KeyObject;
  fleetKid: string;
}

/** Load the keys named by `keys.*`; throws a FacegateError (KEY_FILE_*, KEY_WRONG_TYPE) naming the file. */
export function loadEventKeys(files: { deviceKeyFile: string; fleetPublicKeyFile: string }): EventKeys {
  const deviceSigningKey = loadPrivateKey(files.deviceKeyFile);
  const fleetPublicKey = loadPublicKey(files.fleetPublicKeyFile);
  return { deviceSigningKey, deviceKid: keyId(deviceSigningKey), fleetPublicKey, fleetKid: keyId(fleetPublicKey) };
}

/**
 * Model versions as the wire schema takes them: `fr_detect@6c0256ccd316` becomes
 * `{ fr_detect: "6c0256ccd316" }`, because `@` is not allowed in a version string.
 */
export function wireModelVersions(versions: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(versions).map(([name, version]) => [name, version.slice(version.lastIndexOf('@') + 1)]));
}

/** One attendance record, before the fields the recorder fills in. */
export interface RecordRequest {
  decision: Decision;
  method: Method;
  /** Pseudonymous subject id from the gallery, or null. */
  subject: string | null;
  scores: AttendanceEvent['scores'];
  doorActuated: boolean;
  reason?: string;
}

export interface EventRecorderOptions {
  outbox: Outbox;
  keys: EventKeys;
  deviceId: string;
  siteId: string;
  direction: 'in' | 'out';
  /** Wire model versions (see wireModelVersions). */
  models: Record<string, string>;
  clock: () => ClockSyncState;
  logger: Logger;
  /** Audit log that gets one entry per event in the event's transaction; without it `auditEntryId` is null. */
  audit?: AuditLog;
}

/**
 * Builds attendance events, seals them (JWS by the device key inside JWE to the fleet key) and
 * commits them to the outbox, which allocates the per-device sequence number in the same
 * transaction as the row. With an audit log, the event's audit entry commits in that transaction
 * too, and the event names it in `auditEntryId`.
 */
export class EventRecorder {
  private readonly ids = new Uuidv7Generator();
  private readonly topic: string;

  constructor(private readonly options: EventRecorderOptions) {
    this.topic = channelTopic(options.siteId, options.deviceId, 'events');
  }

  /** Seal and commit one event; resolves once the row is durable. Rejects with the outbox's FacegateError when it is full. */
  async record(request: RecordRequest): Promise<{ row: OutboxRow; event: AttendanceEvent }> {
    const { options } = this;
    let event: AttendanceEvent | undefined;
    const auditEntryId = options.audit?.newEntryId() ?? null;
    const row = await options.outbox.enqueue({
      seal: async (seq) => {
        event = {
          v: 1,
          eventId: this.ids.next(),
          deviceId: options.deviceId,
          siteId: options.siteId,
          seq,
          wallTime: formatMacauTime(Date.now()),
          monotonicMs: monotonicNowMs(),
          clock: options.clock(),
          subject: request.subject,
          decision: request.decision,
          method: request.method,
          scores: request.scores,
          direction: options.direction,
          doorActuated: request.doorActuated,
          models: options.models,
          auditEntryId,
          ...(request.reason === undefined ? {} : { reason: request.reason }),
        };
        const payload = await sealEvent(event, {
          deviceSigningKey: options.keys.deviceSigningKey,
          deviceKid: options.keys.deviceKid,
          fleetPublicKey: options.keys.fleetPublicKey,
          fleetKid: options.keys.fleetKid,
        });
        return { id: event.eventId, topic: this.topic, payload };
      },
      ...(options.audit === undefined
        ? {}
        : { within: (db, committed) => options.audit!.append(db, { ...auditDraftForEvent(event!), id: auditEntryId!, eventId: committed.id }) }),
    });
    return { row, event: event! };
  }
}

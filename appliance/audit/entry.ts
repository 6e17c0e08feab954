import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { SCHEMA_VERSION, clock, deviceId, eventId, macauTime, shortToken, siteId } from '../../protocol/fields.js';
import { canonicalJson } from './canonical.js';

/**
 * One audit-log entry. The fields follow what ISO/IEC 27001:2022 control 8.15 asks a log to keep:
 * who acted (actor), what they did (action) to what (object), when (wall time with the clock-sync
 * state, plus monotonic time), where (device, site, source address) and with which outcome and
 * reason. Like the attendance event, the schema is an allowlist with short, patterned strings, so
 * no image, template or embedding fits into an entry.
 *
 * Entries form a SHA-256 hash chain: `hash` covers every other field, `prevHash` included, so
 * editing, removing, inserting or reordering an entry breaks the chain at that entry.
 */

export const AUDIT_ACTIONS = [
  'recognition.decision',
  'enrolment.add',
  'enrolment.remove',
  'enrolment.start',
  'enrolment.cancel',
  'enrolment.duplicate-confirm',
  'consent.grant',
  'consent.withdraw',
  'fallback.clock-in',
  'config.change',
  'technician.sign-in',
  'technician.sign-out',
  'technician.lockout',
  'command.received',
  'command.withdraw-consent',
  'command.reload-gallery',
  'command.ping',
  'door.exit-button',
  'door.forced',
  'door.held-open',
  'service.start',
  'service.stop',
  'config.load',
  'gallery.reload',
  'matcher.drop',
  'vision.restart',
  'outbox.overflow',
] as const;

export const ACTOR_KINDS = ['system', 'worker', 'technician', 'operator', 'auditor'] as const;
export const OBJECT_KINDS = ['door', 'subject', 'consent', 'config', 'command', 'service', 'audit-log', 'gallery', 'outbox'] as const;
export const OUTCOMES = ['success', 'failure', 'denied'] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type ActorKind = (typeof ACTOR_KINDS)[number];
export type ObjectKind = (typeof OBJECT_KINDS)[number];
export type Outcome = (typeof OUTCOMES)[number];

/** Hash of "no previous entry": the `prevHash` of entry 1. */
export const GENESIS_HASH = '0'.repeat(64);

/** Prefix of the hashed text, so an entry hash cannot be confused with any other SHA-256 in the system. */
const HASH_DOMAIN = 'facegate-audit-entry-v1\n';

export const hexHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (SHA-256)');

/** Pseudonymous subject ids, technician user names, command names, door names. */
const principalId = z.string().regex(/^[A-Za-z0-9._:@-]{1,64}$/, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ : @ -');

const sourceAddress = z
  .string()
  .max(45)
  .refine((value) => isIP(value) !== 0, 'must be an IPv4 or IPv6 address');

const detailKey = z.string().regex(/^[a-z][A-Za-z0-9_.-]{0,31}$/, 'detail keys are 1 to 32 characters from A-Z a-z 0-9 _ . - starting with a lower-case letter');
const detailText = z.string().max(128).regex(/^[^\u0000-\u001f\u007f]*$/, 'detail text may not contain control characters');
const MAX_DETAIL_KEYS = 16;

/** Small facts that need no column of their own: the config keys changed, a command's expiry, a door name. */
export const auditDetail = z
  .record(detailKey, z.union([detailText, z.number().finite(), z.boolean(), z.null()]))
  .refine((detail) => Object.keys(detail).length <= MAX_DETAIL_KEYS, `at most ${MAX_DETAIL_KEYS} detail keys`);

export const auditActor = z.strictObject({ kind: z.enum(ACTOR_KINDS), id: principalId.nullable() });
export const auditObject = z.strictObject({ kind: z.enum(OBJECT_KINDS), id: principalId.nullable() });

/** Everything the hash covers. */
export const auditEntryBody = z.strictObject({
  v: z.literal(SCHEMA_VERSION),
  entryId: eventId,
  deviceId,
  siteId,
  /** Position in the device's chain, from 1 without gaps. */
  seq: z.number().int().positive(),
  wallTime: macauTime,
  monotonicMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  clock,
  actor: auditActor,
  action: z.enum(AUDIT_ACTIONS),
  object: auditObject.nullable(),
  outcome: z.enum(OUTCOMES),
  /** Why, as a short token: `below-threshold`, `consent-withdrawn`, `wrong-password`. */
  reason: shortToken.nullable(),
  /** Network address the request came from (technician laptop, kiosk browser), or null for on-device causes. */
  sourceAddress: sourceAddress.nullable(),
  /** Attendance event written in the same transaction, if any. */
  eventId: eventId.nullable(),
  detail: auditDetail,
  prevHash: hexHash,
});

export const auditEntry = auditEntryBody.extend({ hash: hexHash });

export type AuditEntryBody = z.infer<typeof auditEntryBody>;
export type AuditEntry = z.infer<typeof auditEntry>;
export type AuditDetail = z.infer<typeof auditDetail>;

/** SHA-256 over the canonical JSON of every field but `hash`, as lower-case hex. */
export function entryHash(entry: AuditEntryBody | AuditEntry): string {
  const { hash: _ignored, ...body } = entry as AuditEntry;
  return createHash('sha256').update(HASH_DOMAIN).update(canonicalJson(body)).digest('hex');
}

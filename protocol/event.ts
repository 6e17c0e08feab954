import { z } from 'zod';
import {
  SCHEMA_VERSION,
  clock,
  deviceId,
  eventId,
  macauTime,
  modelVersions,
  shortToken,
  siteId,
} from './fields.js';

/**
 * The attendance event: what a device reports about one decision at the gate. The schema is an
 * allowlist (a strict object), so an unknown key is an error and never reaches the wire. Biometric
 * data has no field to go into: scores are single bounded numbers and every string is short and
 * patterned.
 */

export const DECISIONS = ['granted', 'denied', 'unknown', 'spoof', 'fallback'] as const;
export const METHODS = ['face', 'pin', 'badge', 'exit-button'] as const;
export const DIRECTIONS = ['in', 'out'] as const;

/** Largest serialised event in bytes; a valid event is well under 1 kB, so this bound only catches a schema mistake. */
export const MAX_EVENT_BYTES = 4096;

/**
 * Pseudonymous subject id from the gallery: an opaque token, never a name, staff number or
 * document number. Null when no gallery entry matched.
 */
const subjectId = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ : -');

export const scores = z.strictObject({
  /** Cosine similarity of the best gallery match. */
  match: z.number().min(-1).max(1).optional(),
  /** Best match minus the second best, in the same cosine units. */
  margin: z.number().min(-2).max(2).optional(),
  /** Liveness (anti-spoofing) probability. */
  liveness: z.number().min(0).max(1).optional(),
});

export const attendanceEvent = z.strictObject({
  v: z.literal(SCHEMA_VERSION),
  eventId,
  deviceId,
  siteId,
  /** Per-device sequence number, from 1, allocated in the outbox transaction; a gap means a lost event. */
  seq: z.number().int().positive(),
  wallTime: macauTime,
  /** `process.hrtime` milliseconds, to order events across wall-clock steps on one boot. */
  monotonicMs: z.number().min(0).max(Number.MAX_SAFE_INTEGER),
  clock,
  subject: subjectId.nullable(),
  decision: z.enum(DECISIONS),
  method: z.enum(METHODS),
  scores,
  direction: z.enum(DIRECTIONS),
  doorActuated: z.boolean(),
  models: modelVersions,
  /** The audit-log entry written in the same transaction as this event. */
  auditEntryId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1 to 64 characters from A-Z a-z 0-9 . _ : -').nullable(),
  /** Reason for the decision, e.g. `below-threshold`, `liveness-failed`, `pin-ok`. */
  reason: shortToken.optional(),
});

export type AttendanceEvent = z.infer<typeof attendanceEvent>;
export type Decision = (typeof DECISIONS)[number];
export type Method = (typeof METHODS)[number];
export type Direction = (typeof DIRECTIONS)[number];

import type { AuditEntry } from './entry.js';
import type { Checkpoint } from './checkpoint.js';

/** Conversion between audit entries and checkpoints and their SQLite rows. */

export interface EntryRow {
  position: number;
  seq: unknown;
  id: unknown;
  device_id: unknown;
  site_id: unknown;
  wall_time: unknown;
  monotonic_ms: unknown;
  clock_state: unknown;
  clock_source: unknown;
  actor_kind: unknown;
  actor_id: unknown;
  action: unknown;
  object_kind: unknown;
  object_id: unknown;
  outcome: unknown;
  reason: unknown;
  source_address: unknown;
  event_id: unknown;
  detail: unknown;
  prev_hash: unknown;
  hash: unknown;
}

export const ENTRY_COLUMNS =
  'position, seq, id, device_id, site_id, wall_time, monotonic_ms, clock_state, clock_source, actor_kind, actor_id, action, ' +
  'object_kind, object_id, outcome, reason, source_address, event_id, detail, prev_hash, hash';

/** Column values for an INSERT, in the order of ENTRY_INSERT. */
export function entryValues(entry: AuditEntry, wallMs: number): unknown[] {
  return [
    entry.seq, entry.entryId, entry.deviceId, entry.siteId, entry.wallTime, wallMs, entry.monotonicMs,
    entry.clock.state, entry.clock.source ?? null, entry.actor.kind, entry.actor.id, entry.action,
    entry.object?.kind ?? null, entry.object?.id ?? null, entry.outcome, entry.reason, entry.sourceAddress,
    entry.eventId, JSON.stringify(entry.detail), entry.prevHash, entry.hash,
  ];
}

export const ENTRY_INSERT = `INSERT INTO audit_entries (seq, id, device_id, site_id, wall_time, wall_ms, monotonic_ms, clock_state, clock_source,
  actor_kind, actor_id, action, object_kind, object_id, outcome, reason, source_address, event_id, detail, prev_hash, hash)
  VALUES (${new Array(21).fill('?').join(', ')})`;

/**
 * Rebuild the entry exactly as it was hashed. Values that an edit may have made invalid are kept
 * as they are, so the verifier can rehash them and the wire schema can reject them.
 */
export function entryFromRow(row: EntryRow): Record<string, unknown> {
  let detail: unknown = row.detail;
  if (typeof row.detail === 'string') {
    try {
      detail = JSON.parse(row.detail);
    } catch {
      detail = row.detail;
    }
  }
  const clock: Record<string, unknown> = { state: row.clock_state };
  if (row.clock_source !== null) clock.source = row.clock_source;
  return {
    v: 1,
    entryId: row.id,
    deviceId: row.device_id,
    siteId: row.site_id,
    seq: row.seq,
    wallTime: row.wall_time,
    monotonicMs: row.monotonic_ms,
    clock,
    actor: { kind: row.actor_kind, id: row.actor_id },
    action: row.action,
    object: row.object_kind === null && row.object_id === null ? null : { kind: row.object_kind, id: row.object_id },
    outcome: row.outcome,
    reason: row.reason,
    sourceAddress: row.source_address,
    eventId: row.event_id,
    detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface CheckpointRow {
  number: number;
  id: string;
  size: number;
  root_hash: string;
  wall_time: string;
  clock_state: string;
  clock_source: string | null;
  note: string;
  created_at: number;
}

export function checkpointFromRow(row: CheckpointRow, deviceId: string, siteId: string): Record<string, unknown> {
  return {
    v: 1,
    deviceId,
    siteId,
    number: row.number,
    size: row.size,
    rootHash: row.root_hash,
    wallTime: row.wall_time,
    clock: row.clock_source === null ? { state: row.clock_state } : { state: row.clock_state, source: row.clock_source },
    note: row.note,
  };
}

export type { Checkpoint };

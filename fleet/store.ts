import { randomUUID } from 'node:crypto';
import type { AttendanceEvent } from '../protocol/event.js';
import type { Telemetry } from '../protocol/telemetry.js';
import { parseMacauTime } from '../protocol/wall-time.js';
import type { AuditEntry } from '../appliance/audit/entry.js';
import type { Checkpoint } from '../appliance/audit/checkpoint.js';
import { migrate } from './db/migrations.js';
import { PostgresDatabase } from './db/postgres.js';
import { SqliteDatabase } from './db/sqlite.js';
import { valuesList, type SqlDatabase, type SqlExecutor, type SqlValue } from './db/sql.js';

/**
 * Domain operations on the fleet database, the same for SQLite and PostgreSQL. Batch writes take
 * an open transaction (`tx`) so that the ingest step can commit events, audit entries, chain
 * state and device last-seen times together.
 */

export interface DeviceRow {
  device_id: string;
  site_id: string;
  name: string | null;
  state: string;
  state_reason: string | null;
  state_since: number | null;
  last_seen: number | null;
  firmware: string | null;
  models: string | null;
  outbox_depth: number | null;
  clock_state: string | null;
  last_telemetry: number | null;
  verified_seq: number | null;
  broken_seq: number | null;
  gap_since: number | null;
}

export interface EventRow {
  event_id: string;
  device_id: string;
  site_id: string;
  seq: number;
  wall_time: string;
  subject: string | null;
  decision: string;
  method: string;
  direction: string;
  door_actuated: number;
  clock_state: string;
  received_at: number;
}

export interface AlertRow {
  alert_id: string;
  device_id: string;
  kind: string;
  severity: string;
  message: string;
  details: string;
  raised_at: number;
  resolved_at: number | null;
}

export interface AttendanceRow {
  day: string;
  subject: string;
  firstInMs: number | null;
  lastOutMs: number | null;
  clockIns: number;
}

const EVENT_COLUMNS = 17;
const MAX_ROWS_PER_INSERT = 400;

export class FleetStore {
  constructor(readonly db: SqlDatabase) {}

  /** Open the configured database and bring its schema up to date. */
  static async open(store: { sqlite: string } | { postgres: string }): Promise<FleetStore> {
    const db = 'sqlite' in store ? new SqliteDatabase(store.sqlite) : new PostgresDatabase(store.postgres);
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new FleetStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** Make sure every registered device has a row, so the dashboard lists it before it first connects. */
  async registerDevices(devices: ReadonlyArray<{ deviceId: string; siteId: string; name?: string | undefined }>): Promise<void> {
    for (const device of devices) {
      await this.db.run(
        `INSERT INTO devices (device_id, site_id, name) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name`,
        [device.deviceId, device.siteId, device.name ?? null],
      );
    }
  }

  /** Insert events, skipping ids already stored; returns the ids this call stored. */
  async insertEvents(tx: SqlExecutor, events: readonly AttendanceEvent[], receivedAt: number, receiver: string): Promise<Set<string>> {
    const stored = new Set<string>();
    for (let start = 0; start < events.length; start += MAX_ROWS_PER_INSERT) {
      const chunk = events.slice(start, start + MAX_ROWS_PER_INSERT);
      const params: SqlValue[] = [];
      for (const event of chunk) {
        params.push(
          event.eventId, event.deviceId, event.siteId, event.seq, event.wallTime, parseMacauTime(event.wallTime) ?? 0, event.wallTime.slice(0, 10),
          event.clock.state, event.subject, event.decision, event.method, event.direction, event.doorActuated ? 1 : 0, event.auditEntryId,
          JSON.stringify(event), receivedAt, receiver,
        );
      }
      const rows = await tx.query<{ event_id: string }>(
        `INSERT INTO events (event_id, device_id, site_id, seq, wall_time, wall_ms, local_day, clock_state, subject, decision, method, direction,
           door_actuated, audit_entry_id, payload, received_at, receiver)
         VALUES ${valuesList(chunk.length, EVENT_COLUMNS)}
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        params,
      );
      for (const row of rows) stored.add(row.event_id);
    }
    return stored;
  }

  /** Record that devices were heard from, and create rows for devices seen for the first time. */
  async touchDevices(tx: SqlExecutor, seen: ReadonlyMap<string, { siteId: string; at: number }>): Promise<void> {
    for (const [deviceId, { siteId, at }] of [...seen].sort(([a], [b]) => a.localeCompare(b))) {
      await tx.run(
        `INSERT INTO devices (device_id, site_id, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET last_seen = CASE WHEN devices.last_seen IS NULL OR devices.last_seen < excluded.last_seen THEN excluded.last_seen ELSE devices.last_seen END`,
        [deviceId, siteId, at],
      );
    }
  }

  /**
   * Insert audit entries. An entry whose (device, seq) is already stored with the same hash is a
   * duplicate; with another hash it is a fork, kept in `audit_conflicts` as evidence.
   */
  async insertAuditEntries(tx: SqlExecutor, entries: readonly AuditEntry[], receivedAt: number): Promise<{ stored: AuditEntry[]; duplicates: number; forks: Array<{ entry: AuditEntry; storedHash: string }> }> {
    const stored: AuditEntry[] = [];
    const forks: Array<{ entry: AuditEntry; storedHash: string }> = [];
    let duplicates = 0;
    const sorted = [...entries].sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.seq - b.seq);
    for (const entry of sorted) {
      const inserted = await tx.query<{ seq: number }>(
        `INSERT INTO audit_entries (device_id, seq, entry_id, hash, prev_hash, wall_time, action, outcome, payload, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING RETURNING seq`,
        [entry.deviceId, entry.seq, entry.entryId, entry.hash, entry.prevHash, entry.wallTime, entry.action, entry.outcome, JSON.stringify(entry), receivedAt],
      );
      if (inserted.length > 0) {
        stored.push(entry);
        continue;
      }
      const [existing] = await tx.query<{ hash: string }>('SELECT hash FROM audit_entries WHERE device_id = ? AND seq = ?', [entry.deviceId, entry.seq]);
      if (existing === undefined || existing.hash === entry.hash) {
        duplicates += 1;
        continue;
      }
      const conflict = await tx.run(
        `INSERT INTO audit_conflicts (device_id, seq, hash, payload, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, seq, hash) DO NOTHING`,
        [entry.deviceId, entry.seq, entry.hash, JSON.stringify(entry), receivedAt],
      );
      if (conflict > 0) forks.push({ entry, storedHash: existing.hash });
      else duplicates += 1;
    }
    return { stored, duplicates, forks };
  }

  /** Store a checkpoint with its signature status; returns false when it was already stored. */
  async insertCheckpoint(tx: SqlExecutor, checkpoint: Checkpoint, status: 'pending' | 'bad-signature', receivedAt: number): Promise<boolean> {
    const changed = await tx.run(
      `INSERT INTO audit_checkpoints (device_id, size, root_hash, number, wall_time, note, status, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, size, root_hash) DO NOTHING`,
      [checkpoint.deviceId, checkpoint.size, checkpoint.rootHash, checkpoint.number, checkpoint.wallTime, checkpoint.note, status, receivedAt],
    );
    return changed > 0;
  }

  async insertRejection(tx: SqlExecutor, rejection: { topic: string; deviceId: string | undefined; kind: string; message: string; receivedAt: number; receiver: string }): Promise<void> {
    await tx.run('INSERT INTO rejections (rejection_id, topic, device_id, kind, message, received_at, receiver) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      randomUUID(), rejection.topic, rejection.deviceId ?? null, rejection.kind, rejection.message.slice(0, 1000), rejection.receivedAt, rejection.receiver,
    ]);
  }

  /** Apply a `status` message; returns the previous state. */
  async setDeviceState(status: { deviceId: string; siteId: string; state: string; reason: string; at: number; firmware?: string; models?: Record<string, string> }): Promise<string | undefined> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.query<{ state: string }>('SELECT state FROM devices WHERE device_id = ?', [status.deviceId]);
      await tx.run(
        `INSERT INTO devices (device_id, site_id, state, state_reason, state_since, last_seen, firmware, models) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, state_reason = excluded.state_reason,
           state_since = CASE WHEN devices.state = excluded.state THEN devices.state_since ELSE excluded.state_since END,
           last_seen = excluded.last_seen, firmware = COALESCE(excluded.firmware, devices.firmware), models = COALESCE(excluded.models, devices.models)`,
        [status.deviceId, status.siteId, status.state, status.reason, status.at, status.at, status.firmware ?? null, status.models === undefined ? null : JSON.stringify(status.models)],
      );
      return before?.state;
    });
  }

  /** Store the latest telemetry and mark the device online; returns the previous state. */
  async recordTelemetry(sample: Telemetry, at: number): Promise<string | undefined> {
    return this.db.transaction(async (tx) => {
      const [before] = await tx.query<{ state: string }>('SELECT state FROM devices WHERE device_id = ?', [sample.deviceId]);
      await tx.run(
        `INSERT INTO devices (device_id, site_id, state, state_reason, state_since, last_seen, outbox_depth, clock_state, last_telemetry, telemetry)
         VALUES (?, ?, 'online', 'telemetry', ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET last_seen = excluded.last_seen, outbox_depth = excluded.outbox_depth, clock_state = excluded.clock_state,
           last_telemetry = excluded.last_telemetry, telemetry = excluded.telemetry,
           state_reason = CASE WHEN devices.state = 'online' THEN devices.state_reason ELSE 'telemetry' END,
           state_since = CASE WHEN devices.state = 'online' THEN devices.state_since ELSE excluded.state_since END,
           state = 'online'`,
        [sample.deviceId, sample.siteId, at, at, sample.outboxDepth, sample.clock.state, at, JSON.stringify(sample)],
      );
      return before?.state;
    });
  }

  /** Mark online devices not heard from since `cutoff` as offline; returns them. Only one instance gets each device back. */
  async markSilentOffline(cutoff: number, at: number): Promise<Array<{ device_id: string; last_seen: number | null }>> {
    return this.db.query<{ device_id: string; last_seen: number | null }>(
      `UPDATE devices SET state = 'offline', state_reason = 'telemetry-timeout', state_since = ?
       WHERE state = 'online' AND (last_seen IS NULL OR last_seen < ?) RETURNING device_id, last_seen`,
      [at, cutoff],
    );
  }

  async devices(): Promise<DeviceRow[]> {
    return this.db.query<DeviceRow>(
      `SELECT d.device_id, d.site_id, d.name, d.state, d.state_reason, d.state_since, d.last_seen, d.firmware, d.models, d.outbox_depth, d.clock_state,
         d.last_telemetry, c.verified_seq, c.broken_seq, c.gap_since
       FROM devices d LEFT JOIN chain_state c ON c.device_id = d.device_id ORDER BY d.site_id, d.device_id`,
    );
  }

  async recentEvents(limit: number): Promise<EventRow[]> {
    return this.db.query<EventRow>(
      `SELECT event_id, device_id, site_id, seq, wall_time, subject, decision, method, direction, door_actuated, clock_state, received_at
       FROM events ORDER BY received_at DESC, wall_ms DESC LIMIT ?`,
      [limit],
    );
  }

  async alerts(options: { openOnly?: boolean; limit?: number } = {}): Promise<AlertRow[]> {
    return this.db.query<AlertRow>(
      `SELECT alert_id, device_id, kind, severity, message, details, raised_at, resolved_at FROM alerts
       ${options.openOnly === true ? 'WHERE resolved_at IS NULL' : ''} ORDER BY raised_at DESC LIMIT ?`,
      [options.limit ?? 200],
    );
  }

  /**
   * First clock-in and last clock-out per subject and Macau calendar day, from granted face and
   * fallback (PIN or badge) decisions. Days are inclusive `YYYY-MM-DD` strings.
   */
  async attendance(fromDay: string, toDay: string): Promise<AttendanceRow[]> {
    const rows = await this.db.query<{ day: string; subject: string; first_in: number | null; last_out: number | null; clock_ins: number }>(
      `SELECT local_day AS day, subject,
         MIN(CASE WHEN direction = 'in' THEN wall_ms END) AS first_in,
         MAX(CASE WHEN direction = 'out' THEN wall_ms END) AS last_out,
         COUNT(*) AS clock_ins
       FROM events
       WHERE subject IS NOT NULL AND decision IN ('granted', 'fallback') AND local_day >= ? AND local_day <= ?
       GROUP BY local_day, subject ORDER BY local_day, subject`,
      [fromDay, toDay],
    );
    return rows.map((row) => ({ day: row.day, subject: row.subject, firstInMs: row.first_in, lastOutMs: row.last_out, clockIns: Number(row.clock_ins) }));
  }

  async counts(): Promise<{ events: number; auditEntries: number; rejections: number }> {
    const [events] = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM events');
    const [audit] = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_entries');
    const [rejections] = await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM rejections');
    return { events: Number(events!.n), auditEntries: Number(audit!.n), rejections: Number(rejections!.n) };
  }
}

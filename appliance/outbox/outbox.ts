import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../common/logger.js';
import { errorMessage, isFacegateError } from '../common/errors.js';
import { outboxError } from './messages.js';
import { checkStoredRow, checkEntry, type StoredRowValues } from './rows.js';
import { migrate } from './schema.js';

/**
 * Durable queue of sealed messages waiting for the broker's acknowledgement, in
 * `<stateDir>/outbox.db` (SQLite, WAL, `synchronous=FULL`, so a committed row survives power loss).
 *
 * Size limits (see docs/outbox.md):
 * - At `maxUndelivered` undelivered rows (default 100,000) enqueue still commits, because an
 *   attendance event is never dropped, but the outbox logs at error and calls the overflow
 *   listeners: at the crossing, then at most once per `overflowLogIntervalMs` while above it.
 * - At `hardLimit` rows (default 2 x maxUndelivered), or with less than `minFreeDiskBytes` free
 *   on the state folder's file system, enqueue throws a FacegateError (`outbox.full`,
 *   `outbox.disk_full`) before anything is written. The caller must fail secure: keep the door
 *   shut and tell the person to use the other method or call staff.
 */

export interface OutboxOptions {
  stateDir: string;
  /** Device whose per-stream sequence numbers this outbox allocates. */
  deviceId: string;
  logger: Logger;
  /** Undelivered rows at which the overflow alarm is raised; 100,000 by default. */
  maxUndelivered?: number;
  /** Undelivered rows at which enqueue throws; twice maxUndelivered by default. */
  hardLimit?: number;
  /** Free bytes the state file system must keep; 64 MiB by default. */
  minFreeDiskBytes?: number;
  /** Minimum time between repeated overflow alarms while above the limit; 60 s by default. */
  overflowLogIntervalMs?: number;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
}

/** Entry the caller seals for one sequence number. */
export interface OutboxEntry {
  /** Event id (UUIDv7); must be unique in the outbox. */
  id: string;
  topic: string;
  /** The sealed message text (compact JWE for events and audit entries). */
  payload: string;
}

export interface EnqueueRequest {
  /** Sequence stream; `events` by default. Each stream of each device counts from 1. */
  stream?: string;
  /** Build and seal the entry for the sequence number the outbox reserved. May be async. */
  seal(seq: number): OutboxEntry | Promise<OutboxEntry>;
  /**
   * Extra writes in the same transaction as the insert, such as the audit entry. If it throws,
   * nothing is written, the sequence number is not used, and enqueue rejects with that error.
   */
  within?(db: Database.Database, row: OutboxRow): void;
}

export interface OutboxRow {
  /** Drain order. */
  position: number;
  id: string;
  stream: string;
  seq: number;
  topic: string;
  payload: string;
  /** Commit time, Unix milliseconds. */
  createdAt: number;
  attempts: number;
}

export interface OverflowAlarm {
  depth: number;
  limit: number;
  hardLimit: number;
}

export const OUTBOX_FILE = 'outbox.db';
const DEFAULT_MAX_UNDELIVERED = 100_000;
const DEFAULT_MIN_FREE_DISK_BYTES = 64 * 1024 * 1024;
const DEFAULT_OVERFLOW_LOG_INTERVAL_MS = 60_000;

export class Outbox {
  readonly file: string;
  readonly deviceId: string;
  readonly maxUndelivered: number;
  readonly hardLimit: number;

  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly stateDir: string;
  private readonly minFreeDiskBytes: number;
  private readonly overflowLogIntervalMs: number;
  private readonly now: () => number;
  private readonly enqueuedListeners = new Set<(row: OutboxRow) => void>();
  private readonly overflowListeners = new Set<(alarm: OverflowAlarm) => void>();
  private readonly statements;
  private undelivered: number;
  private overflowSince: number | undefined;
  private lastOverflowAlarmAt = 0;
  /** Tail of the enqueue chain: enqueues run one at a time so the reserved seq stays the next one. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(options: OutboxOptions, db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.stateDir = options.stateDir;
    this.deviceId = options.deviceId;
    this.log = options.logger.child({ module: 'outbox' });
    this.maxUndelivered = options.maxUndelivered ?? DEFAULT_MAX_UNDELIVERED;
    this.hardLimit = options.hardLimit ?? this.maxUndelivered * 2;
    this.minFreeDiskBytes = options.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK_BYTES;
    this.overflowLogIntervalMs = options.overflowLogIntervalMs ?? DEFAULT_OVERFLOW_LOG_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    if (!(this.maxUndelivered >= 1 && this.hardLimit >= this.maxUndelivered)) {
      throw new RangeError(`Outbox limits invalid: maxUndelivered ${this.maxUndelivered}, hardLimit ${this.hardLimit}; need 1 <= maxUndelivered <= hardLimit.`);
    }

    this.statements = {
      lastSeq: db.prepare<[string, string], { last_seq: number }>('SELECT last_seq FROM sequences WHERE device_id = ? AND stream = ?'),
      allocateSeq: db.prepare<[string, string], { last_seq: number }>(
        `INSERT INTO sequences (device_id, stream, last_seq) VALUES (?, ?, 1)
         ON CONFLICT (device_id, stream) DO UPDATE SET last_seq = last_seq + 1
         RETURNING last_seq`,
      ),
      insert: db.prepare<[string, string, number, string, string, number]>(
        'INSERT INTO outbox (id, stream, seq, topic, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      pending: db.prepare<[number, number], StoredRowValues>(
        `SELECT position, id, stream, seq, topic, payload, created_at, attempts FROM outbox
         WHERE delivered_at IS NULL AND position > ? ORDER BY position LIMIT ?`,
      ),
      markDelivered: db.prepare<[number, string]>('UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL'),
      recordAttempt: db.prepare<[number, string]>('UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ? WHERE id = ?'),
      depth: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE delivered_at IS NULL'),
      oldestPending: db.prepare<[], { created_at: number }>(
        'SELECT created_at FROM outbox WHERE delivered_at IS NULL ORDER BY position LIMIT 1',
      ),
      prune: db.prepare<[number]>('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?'),
      quarantine: db.prepare<[string | null, string, string, number]>(
        'INSERT INTO quarantine (id, row_json, reason, quarantined_at) VALUES (?, ?, ?, ?)',
      ),
      removeRow: db.prepare<[number]>('DELETE FROM outbox WHERE position = ?'),
      quarantined: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM quarantine'),
    };
    this.undelivered = this.statements.depth.get()!.n;
  }

  /** Open (or create) `<stateDir>/outbox.db`. Throws FacegateError `outbox.open_failed` on a damaged file. */
  static open(options: OutboxOptions): Outbox {
    const file = path.join(options.stateDir, OUTBOX_FILE);
    let db: Database.Database | undefined;
    try {
      fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check reported: ${String(check)}`);
      migrate(db);
      const outbox = new Outbox(options, db, file);
      outbox.log.info({ file, undelivered: outbox.undelivered }, 'outbox opened');
      return outbox;
    } catch (error) {
      db?.close();
      if (error instanceof RangeError) throw error;
      throw outboxError('outbox.open_failed', { file, detail: errorMessage(error) }, error);
    }
  }

  /** Undelivered rows. */
  depth(): number {
    return this.undelivered;
  }

  /** Sequence number the next enqueue on `stream` will get. */
  peekNextSeq(stream = 'events'): number {
    return (this.statements.lastSeq.get(this.deviceId, stream)?.last_seq ?? 0) + 1;
  }

  /**
   * Reserve the next sequence number, let the caller seal the entry, and commit the row, the
   * sequence increment and `request.within` in one transaction. Enqueues run one at a time.
   * Rejects with FacegateError `outbox.full` or `outbox.disk_full` before sealing when there is
   * no room; the caller must then fail secure.
   */
  enqueue(request: EnqueueRequest): Promise<OutboxRow> {
    const run = this.queue.then(() => this.enqueueNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async enqueueNow(request: EnqueueRequest): Promise<OutboxRow> {
    this.assertOpen();
    this.assertCapacity();
    const stream = request.stream ?? 'events';
    const seq = this.peekNextSeq(stream);
    const entry = await request.seal(seq);
    this.assertOpen();
    const problem = checkEntry(entry);
    if (problem !== undefined) throw outboxError('outbox.invalid_entry', { id: String(entry?.id), detail: problem });

    const createdAt = this.now();
    const commit = this.db.transaction((): OutboxRow => {
      const allocated = this.statements.allocateSeq.get(this.deviceId, stream)!.last_seq;
      if (allocated !== seq) {
        // Only another process writing the same file can cause this; roll back rather than renumber a sealed event.
        throw new Error(`sequence ${stream} moved from ${seq - 1} to ${allocated - 1} while the entry was sealed; is another process using ${this.file}?`);
      }
      const result = this.statements.insert.run(entry.id, stream, seq, entry.topic, entry.payload, createdAt);
      const row: OutboxRow = { position: Number(result.lastInsertRowid), id: entry.id, stream, seq, topic: entry.topic, payload: entry.payload, createdAt, attempts: 0 };
      request.within?.(this.db, row);
      return row;
    });

    let row: OutboxRow;
    try {
      row = commit.immediate();
    } catch (error) {
      if (isFacegateError(error) || !(error instanceof Database.SqliteError)) throw error;
      if (error.code === 'SQLITE_FULL') {
        throw outboxError('outbox.disk_full', { dir: this.stateDir, freeBytes: this.freeDiskBytes() ?? 0, minFreeBytes: this.minFreeDiskBytes }, error);
      }
      throw outboxError('outbox.write_failed', { id: entry.id, file: this.file, detail: `${error.code}: ${error.message}` }, error);
    }

    this.undelivered += 1;
    this.log.debug({ id: row.id, seq: row.seq, stream, topic: row.topic, depth: this.undelivered }, 'enqueued');
    this.notify(this.enqueuedListeners, row, 'enqueued');
    this.checkOverflow();
    return row;
  }

  /**
   * Run `fn` in one immediate transaction on the outbox database, for writes that must commit
   * together with outbox state. `fn` must be synchronous (better-sqlite3 transactions are).
   */
  transaction<T>(fn: (db: Database.Database) => T): T {
    this.assertOpen();
    return this.db.transaction(() => fn(this.db)).immediate();
  }

  /**
   * Up to `limit` undelivered rows after `afterPosition`, oldest first. A row that cannot be
   * sent as stored (bad topic, payload of the wrong type) is moved to the quarantine table with
   * an error log line and left out.
   */
  pending(limit: number, afterPosition = 0): OutboxRow[] {
    this.assertOpen();
    const rows: OutboxRow[] = [];
    let cursor = afterPosition;
    while (rows.length < limit) {
      const batch = this.statements.pending.all(cursor, limit - rows.length);
      if (batch.length === 0) break;
      for (const values of batch) {
        cursor = values.position;
        const problem = checkStoredRow(values);
        if (problem === undefined) rows.push(toRow(values));
        else this.quarantine(values, problem);
      }
    }
    return rows;
  }

  /** Mark one row delivered; returns false when it was already delivered or is unknown. */
  markDelivered(id: string): boolean {
    return this.markDeliveredMany([id]) === 1;
  }

  /** Mark rows delivered in one transaction (one fsync for the batch); returns how many changed. */
  markDeliveredMany(ids: readonly string[]): number {
    this.assertOpen();
    if (ids.length === 0) return 0;
    const at = this.now();
    const changed = this.db.transaction(() => ids.reduce((sum, id) => sum + this.statements.markDelivered.run(at, id).changes, 0))();
    this.undelivered -= changed;
    if (this.overflowSince !== undefined && this.undelivered < this.maxUndelivered) {
      this.log.info({ depth: this.undelivered, limit: this.maxUndelivered, overMs: this.now() - this.overflowSince }, 'outbox back under its limit');
      this.overflowSince = undefined;
    }
    return changed;
  }

  /** Count send attempts (one transaction for the batch). */
  recordAttempts(ids: readonly string[]): void {
    this.assertOpen();
    if (ids.length === 0) return;
    const at = this.now();
    this.db.transaction(() => {
      for (const id of ids) this.statements.recordAttempt.run(at, id);
    })();
  }

  /** Delete delivered rows older than `olderThanMs`; undelivered rows are never pruned. Returns the count. */
  prune(olderThanMs: number): number {
    this.assertOpen();
    const removed = this.statements.prune.run(this.now() - olderThanMs).changes;
    if (removed > 0) this.log.info({ removed, olderThanMs }, 'pruned delivered rows');
    return removed;
  }

  /** Commit time of the oldest undelivered row, or undefined when none is waiting. */
  oldestPendingCreatedAt(): number | undefined {
    return this.statements.oldestPending.get()?.created_at;
  }

  quarantinedCount(): number {
    return this.statements.quarantined.get()!.n;
  }

  /** Call `listener` after each committed enqueue. Returns a function that removes it. */
  onEnqueued(listener: (row: OutboxRow) => void): () => void {
    this.enqueuedListeners.add(listener);
    return () => this.enqueuedListeners.delete(listener);
  }

  /** Call `listener` when the overflow alarm is raised. Returns a function that removes it. */
  onOverflow(listener: (alarm: OverflowAlarm) => void): () => void {
    this.overflowListeners.add(listener);
    return () => this.overflowListeners.delete(listener);
  }

  /** Wait for running enqueues, then close the database. Further calls throw. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    this.enqueuedListeners.clear();
    this.overflowListeners.clear();
    this.db.close();
    this.log.info({ undelivered: this.undelivered }, 'outbox closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`The outbox ${this.file} is closed.`);
  }

  private assertCapacity(): void {
    if (this.undelivered >= this.hardLimit) {
      const error = outboxError('outbox.full', { depth: this.undelivered, hardLimit: this.hardLimit });
      this.log.error({ depth: this.undelivered, hardLimit: this.hardLimit }, error.message);
      throw error;
    }
    const free = this.freeDiskBytes();
    if (free !== undefined && free < this.minFreeDiskBytes) {
      const error = outboxError('outbox.disk_full', { dir: this.stateDir, freeBytes: free, minFreeBytes: this.minFreeDiskBytes });
      this.log.error({ freeBytes: free, minFreeBytes: this.minFreeDiskBytes }, error.message);
      throw error;
    }
  }

  private freeDiskBytes(): number | undefined {
    try {
      const stats = fs.statfsSync(this.stateDir);
      return stats.bavail * stats.bsize;
    } catch (error) {
      this.log.warn({ err: error, dir: this.stateDir }, 'cannot read free disk space; skipping the disk check');
      return undefined;
    }
  }

  private checkOverflow(): void {
    if (this.undelivered < this.maxUndelivered) return;
    const now = this.now();
    const crossing = this.overflowSince === undefined;
    if (crossing) this.overflowSince = now;
    if (!crossing && now - this.lastOverflowAlarmAt < this.overflowLogIntervalMs) return;
    this.lastOverflowAlarmAt = now;

    const alarm: OverflowAlarm = { depth: this.undelivered, limit: this.maxUndelivered, hardLimit: this.hardLimit };
    this.log.error(
      { ...alarm, since: this.overflowSince },
      `outbox holds ${alarm.depth} undelivered rows, at or over its limit of ${alarm.limit}; enqueue fails at ${alarm.hardLimit}`,
    );
    this.notify(this.overflowListeners, alarm, 'overflow');
  }

  private quarantine(values: StoredRowValues, reason: string): void {
    const id = typeof values.id === 'string' ? values.id : null;
    const rowJson = JSON.stringify(values, (_, value: unknown) =>
      Buffer.isBuffer(value) ? { blobBase64: value.toString('base64') } : typeof value === 'bigint' ? value.toString() : value,
    );
    this.db.transaction(() => {
      this.statements.quarantine.run(id, rowJson, reason, this.now());
      this.statements.removeRow.run(values.position);
    }).immediate();
    this.undelivered -= 1;
    this.log.error({ position: values.position, id, reason }, 'moved an unreadable outbox row to quarantine');
  }

  private notify<T>(listeners: Set<(value: T) => void>, value: T, event: string): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        this.log.error({ err: error, event }, 'outbox listener threw');
      }
    }
  }
}

function toRow(values: StoredRowValues): OutboxRow {
  return {
    position: values.position,
    id: values.id as string,
    stream: values.stream as string,
    seq: values.seq as number,
    topic: values.topic as string,
    payload: values.payload as string,
    createdAt: values.created_at as number,
    attempts: values.attempts as number,
  };
}

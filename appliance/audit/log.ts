import type Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import { FacegateError } from '../common/errors.js';
import type { Outbox } from '../outbox/outbox.js';
import type { clock as clockSchema } from '../../protocol/fields.js';
import { Uuidv7Generator } from '../../protocol/uuidv7.js';
import { formatMacauTime, monotonicNowMs } from '../../protocol/wall-time.js';
import type { z } from 'zod';
import { signCheckpoint, type Checkpoint } from './checkpoint.js';
import {
  GENESIS_HASH,
  auditEntry,
  auditEntryBody,
  entryHash,
  type AuditAction,
  type AuditDetail,
  type AuditEntry,
  type ActorKind,
  type ObjectKind,
  type Outcome,
} from './entry.js';
import { MerkleFrontier } from './merkle.js';
import { ENTRY_COLUMNS, ENTRY_INSERT, checkpointFromRow, entryFromRow, entryValues, type CheckpointRow, type EntryRow } from './rows.js';
import { migrateAudit } from './schema.js';

/**
 * The device's audit log: a SHA-256 hash chain of entries and signed Merkle checkpoints, stored in
 * the outbox database. An entry that records an attendance event is appended inside the outbox
 * transaction of that event (`append` from `within`), so either both commit or neither does.
 * Entries without an event use `record`, which runs its own transaction.
 *
 * The chain head and the Merkle frontier live in the `audit_head` row and change in the same
 * transaction as the entry, so a rolled-back event leaves the head where it was.
 */

export type ClockReading = z.infer<typeof clockSchema>;

export interface AuditDraft {
  /** Entry id; pass the id from `newEntryId()` when the event must name its audit entry before sealing. */
  id?: string;
  actor: { kind: ActorKind; id: string | null };
  action: AuditAction;
  object?: { kind: ObjectKind; id: string | null } | null;
  outcome: Outcome;
  reason?: string | null;
  sourceAddress?: string | null;
  eventId?: string | null;
  detail?: AuditDetail;
}

export interface AuditLogOptions {
  outbox: Outbox;
  siteId: string;
  logger: Logger;
  /** Clock-sync state at the moment of an entry; `unknown` by default. */
  clock?: () => ClockReading;
  /** Unix milliseconds; `Date.now` by default. */
  now?: () => number;
  monotonicNow?: () => number;
}

export interface AuditHead {
  size: number;
  hash: string;
  /** Merkle tree head over entries 1 to size, hex. */
  root: string;
}

/** Next item the shipper must hand to the outbox, in chain order. */
export type Unshipped =
  | { kind: 'entry'; seq: number; id: string; value: Record<string, unknown> }
  | { kind: 'checkpoint'; number: number; id: string; size: number; value: Record<string, unknown> };

interface HeadRow {
  size: number;
  last_hash: string;
  frontier: string;
}

export class AuditLog {
  readonly deviceId: string;
  readonly siteId: string;

  private readonly db: Database.Database;
  private readonly log: Logger;
  private readonly clock: () => ClockReading;
  private readonly now: () => number;
  private readonly monotonicNow: () => number;
  private readonly ids: Uuidv7Generator;
  private readonly recordedListeners = new Set<(entry: AuditEntry) => void>();
  private readonly statements;

  private constructor(options: AuditLogOptions, db: Database.Database) {
    this.db = db;
    this.deviceId = options.outbox.deviceId;
    this.siteId = options.siteId;
    this.log = options.logger.child({ module: 'audit' });
    this.clock = options.clock ?? (() => ({ state: 'unknown' }));
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? monotonicNowMs;
    this.ids = new Uuidv7Generator({ now: this.now });
    this.statements = {
      head: db.prepare<[], HeadRow>('SELECT size, last_hash, frontier FROM audit_head WHERE id = 1'),
      saveHead: db.prepare<[number, string, string]>(
        `INSERT INTO audit_head (id, size, last_hash, frontier) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET size = excluded.size, last_hash = excluded.last_hash, frontier = excluded.frontier`,
      ),
      insert: db.prepare(ENTRY_INSERT),
      nextEntry: db.prepare<[], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE shipped_at IS NULL ORDER BY seq, position LIMIT 1`),
      nextCheckpoint: db.prepare<[], CheckpointRow>(
        'SELECT number, id, size, root_hash, wall_time, clock_state, clock_source, note, created_at FROM audit_checkpoints WHERE shipped_at IS NULL ORDER BY number LIMIT 1',
      ),
      lastCheckpoint: db.prepare<[], { number: number; size: number; created_at: number }>(
        'SELECT number, size, created_at FROM audit_checkpoints ORDER BY number DESC LIMIT 1',
      ),
      insertCheckpoint: db.prepare(
        `INSERT INTO audit_checkpoints (number, id, size, root_hash, wall_time, clock_state, clock_source, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      shipEntry: db.prepare<[number, string]>('UPDATE audit_entries SET shipped_at = ? WHERE id = ? AND shipped_at IS NULL'),
      shipCheckpoint: db.prepare<[number, string]>('UPDATE audit_checkpoints SET shipped_at = ? WHERE id = ? AND shipped_at IS NULL'),
      failEntry: db.prepare<[number, string, number]>('UPDATE audit_entries SET shipped_at = ?, ship_error = ? WHERE position = ?'),
      failCheckpoint: db.prepare<[number, string]>('UPDATE audit_checkpoints SET shipped_at = ? WHERE id = ?'),
    };
  }

  /** Create the audit tables in the outbox database if needed and return the log. */
  static attach(options: AuditLogOptions): AuditLog {
    const db = options.outbox.transaction((handle) => {
      migrateAudit(handle);
      return handle;
    });
    const log = new AuditLog(options, db);
    const head = log.head();
    log.log.info({ size: head.size, root: head.root }, 'audit log opened');
    return log;
  }

  /** A fresh entry id, for an event that must carry `auditEntryId` before its entry is appended. */
  newEntryId(): string {
    return this.ids.next();
  }

  /**
   * Append an entry inside an open transaction on the outbox database, normally from the
   * `within` callback of `outbox.enqueue`. Throws FacegateError `audit.invalid_entry` for a draft
   * the schema rejects, which rolls the whole transaction back.
   */
  append(db: Database.Database, draft: AuditDraft): AuditEntry {
    if (db !== this.db) throw new Error('AuditLog.append() must run on the outbox database the log was attached to.');
    if (!db.inTransaction) throw new Error('AuditLog.append() must run inside a transaction; use record() outside one.');
    const head = this.statements.head.get();
    const size = head?.size ?? 0;
    const prevHash = head?.last_hash ?? GENESIS_HASH;
    const frontier = head === undefined ? MerkleFrontier.empty() : MerkleFrontier.fromJSON(JSON.parse(head.frontier) as { size: number; nodes: string[] });

    const wallMs = this.now();
    const body = {
      v: 1,
      entryId: draft.id ?? this.ids.next(),
      deviceId: this.deviceId,
      siteId: this.siteId,
      seq: size + 1,
      wallTime: formatMacauTime(wallMs),
      monotonicMs: this.monotonicNow(),
      clock: this.clock(),
      actor: draft.actor,
      action: draft.action,
      object: draft.object ?? null,
      outcome: draft.outcome,
      reason: draft.reason ?? null,
      sourceAddress: draft.sourceAddress ?? null,
      eventId: draft.eventId ?? null,
      detail: draft.detail ?? {},
      prevHash,
    };
    const parsed = auditEntryBody.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw new FacegateError('audit.invalid_entry', `Audit entry for ${draft.action} is invalid: ${issues}.`, {
        hint: 'Fix the values passed to the audit log; nothing of this transaction was written.',
        params: { action: String(draft.action), issues },
      });
    }
    const entry: AuditEntry = { ...parsed.data, hash: entryHash(parsed.data) };

    this.statements.insert.run(...entryValues(entry, wallMs));
    frontier.append(Buffer.from(entry.hash, 'hex'));
    this.statements.saveHead.run(entry.seq, entry.hash, JSON.stringify(frontier.toJSON()));
    return entry;
  }

  /** Append an entry in a transaction of its own, for actions that write no outbox event. */
  record(draft: AuditDraft): AuditEntry {
    const entry = this.db.transaction(() => this.append(this.db, draft)).immediate();
    this.log.debug({ seq: entry.seq, action: entry.action, outcome: entry.outcome }, 'audit entry recorded');
    for (const listener of this.recordedListeners) {
      try {
        listener(entry);
      } catch (error) {
        this.log.error({ err: error }, 'audit listener threw');
      }
    }
    return entry;
  }

  /** Call `listener` after each record() commit. Returns a function that removes it. */
  onRecorded(listener: (entry: AuditEntry) => void): () => void {
    this.recordedListeners.add(listener);
    return () => this.recordedListeners.delete(listener);
  }

  head(): AuditHead {
    const row = this.statements.head.get();
    if (row === undefined) return { size: 0, hash: GENESIS_HASH, root: MerkleFrontier.empty().root().toString('hex') };
    const frontier = MerkleFrontier.fromJSON(JSON.parse(row.frontier) as { size: number; nodes: string[] });
    return { size: row.size, hash: row.last_hash, root: frontier.root().toString('hex') };
  }

  /** The last checkpoint written, or undefined before the first. */
  lastCheckpoint(): { number: number; size: number; createdAt: number } | undefined {
    const row = this.statements.lastCheckpoint.get();
    return row === undefined ? undefined : { number: row.number, size: row.size, createdAt: row.created_at };
  }

  /**
   * Sign a checkpoint over the current head and store it, unless the head has not moved since the
   * last checkpoint. Returns the new checkpoint or undefined.
   */
  createCheckpoint(privateKey: KeyObject): Checkpoint | undefined {
    return this.db.transaction((): Checkpoint | undefined => {
      const head = this.head();
      const last = this.lastCheckpoint();
      if (head.size === 0 || (last !== undefined && last.size >= head.size)) return undefined;
      const createdAt = this.now();
      const checkpoint = signCheckpoint(
        {
          siteId: this.siteId,
          deviceId: this.deviceId,
          number: (last?.number ?? 0) + 1,
          size: head.size,
          rootHash: head.root,
          wallTime: formatMacauTime(createdAt),
          clock: this.clock(),
        },
        privateKey,
      );
      this.statements.insertCheckpoint.run(
        checkpoint.number, this.ids.next(), checkpoint.size, checkpoint.rootHash, checkpoint.wallTime,
        checkpoint.clock.state, checkpoint.clock.source ?? null, checkpoint.note, createdAt,
      );
      this.log.info({ number: checkpoint.number, size: checkpoint.size, root: checkpoint.rootHash }, 'audit checkpoint signed');
      return checkpoint;
    }).immediate();
  }

  /**
   * The next entry or checkpoint not yet handed to the outbox. Entries come in seq order, and a
   * checkpoint comes after the entries it covers.
   */
  nextUnshipped(): Unshipped | undefined {
    const entry = this.statements.nextEntry.get();
    const checkpoint = this.statements.nextCheckpoint.get();
    if (checkpoint !== undefined && (entry === undefined || Number(entry.seq) > checkpoint.size)) {
      return { kind: 'checkpoint', number: checkpoint.number, id: checkpoint.id, size: checkpoint.size, value: checkpointFromRow(checkpoint, this.deviceId, this.siteId) };
    }
    if (entry === undefined) return undefined;
    return { kind: 'entry', seq: Number(entry.seq), id: String(entry.id), value: entryFromRow(entry) };
  }

  /** Mark an item shipped; call from the `within` callback of its outbox enqueue. */
  markShipped(db: Database.Database, item: Unshipped): void {
    if (db !== this.db) throw new Error('AuditLog.markShipped() must run on the outbox database the log was attached to.');
    const statement = item.kind === 'entry' ? this.statements.shipEntry : this.statements.shipCheckpoint;
    statement.run(this.now(), item.id);
  }

  /**
   * Take an item that cannot be sealed (a row edited into values the wire schema rejects) out of
   * the queue, so the rest of the log still ships; the fleet then sees the gap at its seq.
   */
  markUnshippable(item: Unshipped, reason: string): void {
    if (item.kind === 'entry') {
      const row = this.db.prepare<[string], { position: number }>('SELECT position FROM audit_entries WHERE id = ? AND shipped_at IS NULL ORDER BY position LIMIT 1').get(item.id);
      if (row !== undefined) this.statements.failEntry.run(-1, reason.slice(0, 500), row.position);
    } else {
      this.statements.failCheckpoint.run(-1, item.id);
    }
    this.log.error({ kind: item.kind, id: item.id, reason }, 'audit item cannot be sealed and will not be shipped; the stored row may have been altered');
  }

  /** Parse an entry value from `nextUnshipped`; returns the problem text when the schema rejects it. */
  static parseEntry(value: Record<string, unknown>): { entry: AuditEntry } | { problem: string } {
    const parsed = auditEntry.safeParse(value);
    if (parsed.success) return { entry: parsed.data };
    return { problem: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ') };
  }
}

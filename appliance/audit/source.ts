import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { FacegateError, errorMessage } from '../common/errors.js';
import { OUTBOX_FILE } from '../outbox/outbox.js';
import { GENESIS_HASH } from './entry.js';
import { MerkleFrontier } from './merkle.js';
import { ENTRY_COLUMNS, checkpointFromRow, entryFromRow, type CheckpointRow, type EntryRow } from './rows.js';
import { auditSchemaVersion } from './schema.js';
import type { ChainAnchor } from './verify.js';
import type { Period } from './period.js';

/**
 * Read-only access to an audit log for the auditor commands: the device database
 * (`<state>/outbox.db`) or a JSON Lines export made by `facegate audit export`.
 */

export const EXPORT_TYPE = 'facegate-audit-export';

export interface ExportHeader {
  type: typeof EXPORT_TYPE;
  v: 1;
  deviceId: string;
  siteId: string;
  exportedAt: string;
  from: string | null;
  to: string | null;
  /** Chain state just before the first exported entry. */
  anchor: ChainAnchor;
}

export interface AuditSnapshot {
  deviceId: string | undefined;
  siteId: string | undefined;
  entries: Record<string, unknown>[];
  checkpoints: Record<string, unknown>[];
  anchor: ChainAnchor | undefined;
  /** What was read, for messages: a file name. */
  source: string;
}

export class DeviceAuditReader {
  readonly file: string;
  private readonly db: Database.Database;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
  }

  /** Open `<stateDir>/outbox.db`, or the given `.db` file, read-only. */
  static open(location: string): DeviceAuditReader {
    const file = location.endsWith('.db') ? location : path.join(location, OUTBOX_FILE);
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (error) {
      throw new FacegateError('audit.db_unreadable', `Cannot open the audit database ${file}: ${errorMessage(error)}.`, {
        hint: 'Pass --state with the device state folder (default /var/lib/facegate), or --db with the outbox.db file.',
        params: { file, detail: errorMessage(error) },
        cause: error,
      });
    }
    if (auditSchemaVersion(db) === 0) {
      db.close();
      throw new FacegateError('audit.no_log', `${file} contains no audit log.`, {
        hint: 'Check the path: the audit log lives in outbox.db in the device state folder.',
        params: { file },
      });
    }
    return new DeviceAuditReader(file, db);
  }

  identity(): { deviceId: string | undefined; siteId: string | undefined } {
    const row = this.db.prepare<[], { device_id: string; site_id: string }>('SELECT device_id, site_id FROM audit_entries ORDER BY position DESC LIMIT 1').get();
    return { deviceId: row?.device_id, siteId: row?.site_id };
  }

  /** Every entry in storage order. */
  *entries(fromSeq = 1, toSeq = Number.MAX_SAFE_INTEGER): Generator<Record<string, unknown>> {
    const statement = this.db.prepare<[number, number], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE seq >= ? AND seq <= ? ORDER BY position`);
    for (const row of statement.iterate(fromSeq, toSeq)) yield entryFromRow(row);
  }

  checkpoints(minSize = 0, maxSize = Number.MAX_SAFE_INTEGER): Record<string, unknown>[] {
    const { deviceId, siteId } = this.identity();
    return this.db
      .prepare<[number, number], CheckpointRow>(
        'SELECT number, id, size, root_hash, wall_time, clock_state, clock_source, note, created_at FROM audit_checkpoints WHERE size >= ? AND size <= ? ORDER BY number',
      )
      .all(minSize, maxSize)
      .map((row) => checkpointFromRow(row, deviceId ?? '', siteId ?? ''));
  }

  /** Sequence numbers of the first and last entry written in the period, or undefined when none was. */
  seqRange(period: Period): { fromSeq: number; toSeq: number } | undefined {
    const row = this.db
      .prepare<[number, number], { low: number | null; high: number | null }>('SELECT MIN(seq) AS low, MAX(seq) AS high FROM audit_entries WHERE wall_ms >= ? AND wall_ms < ?')
      .get(period.fromMs ?? Number.MIN_SAFE_INTEGER, period.toMs ?? Number.MAX_SAFE_INTEGER);
    if (row === undefined || row.low === null || row.high === null) return undefined;
    return { fromSeq: row.low, toSeq: row.high };
  }

  /** Chain state after entry `seq`, from the stored hashes of entries 1 to seq. */
  anchorAfter(seq: number): ChainAnchor {
    if (seq === 0) return { seq: 0, hash: GENESIS_HASH, frontier: { size: 0, nodes: [] } };
    const frontier = MerkleFrontier.empty();
    let hash = GENESIS_HASH;
    const statement = this.db.prepare<[number], { seq: number; hash: string }>('SELECT seq, hash FROM audit_entries WHERE seq <= ? ORDER BY seq, position');
    let expected = 1;
    for (const row of statement.iterate(seq)) {
      // With a gap or duplicate below `seq` the frontier would be wrong; leave it out and let verification say so.
      if (row.seq !== expected) return { seq, hash: lastHash(this.db, seq) };
      frontier.append(Buffer.from(row.hash, 'hex'));
      hash = row.hash;
      expected += 1;
    }
    return { seq, hash, frontier: frontier.toJSON() };
  }

  snapshot(): AuditSnapshot {
    const { deviceId, siteId } = this.identity();
    return { deviceId, siteId, entries: [...this.entries()], checkpoints: this.checkpoints(), anchor: undefined, source: this.file };
  }

  close(): void {
    this.db.close();
  }
}

function lastHash(db: Database.Database, seq: number): string {
  return db.prepare<[number], { hash: string }>('SELECT hash FROM audit_entries WHERE seq = ? ORDER BY position LIMIT 1').get(seq)?.hash ?? GENESIS_HASH;
}

/** Read a JSON Lines export; throws FacegateError `audit.export_unreadable`, or `audit.bad_export` naming the line that is wrong. */
export async function readExport(file: string): Promise<AuditSnapshot & { header: ExportHeader }> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { encoding: 'utf8' });
  } catch (error) {
    throw new FacegateError('audit.export_unreadable', `Cannot read the export ${file}: ${errorMessage(error)}.`, {
      hint: 'Check the file name.',
      params: { file, detail: (error as NodeJS.ErrnoException).code ?? errorMessage(error) },
      cause: error,
    });
  }
  const bad = (line: number, why: string) =>
    new FacegateError('audit.bad_export', `${file} line ${line}: ${why}.`, {
      hint: 'Verify a file written by "facegate audit export --format jsonl"; CSV exports are for spreadsheets and cannot be verified.',
      params: { file, line, detail: why },
    });

  let header: ExportHeader | undefined;
  const entries: Record<string, unknown>[] = [];
  const checkpoints: Record<string, unknown>[] = [];
  let number = 0;
  for await (const line of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
    number += 1;
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw bad(number, `not JSON (${errorMessage(error)})`);
    }
    if (header === undefined) {
      if (record.type !== EXPORT_TYPE) throw bad(number, `the first line must be the export header with type "${EXPORT_TYPE}"`);
      header = record as unknown as ExportHeader;
      continue;
    }
    if (record.type === 'entry' && typeof record.entry === 'object' && record.entry !== null) entries.push(record.entry as Record<string, unknown>);
    else if (record.type === 'checkpoint' && typeof record.checkpoint === 'object' && record.checkpoint !== null) checkpoints.push(record.checkpoint as Record<string, unknown>);
    else throw bad(number, 'expected {"type":"entry",...} or {"type":"checkpoint",...}');
  }
  if (header === undefined) throw bad(1, 'the file is empty');
  return { header, deviceId: header.deviceId, siteId: header.siteId, entries, checkpoints, anchor: header.anchor, source: file };
}

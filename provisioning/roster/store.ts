import Database from 'better-sqlite3';
import { openVersionedDatabase } from '../../appliance/common/sqlite.js';
import fs from 'node:fs';
import path from 'node:path';

import type { Logger } from '../../appliance/common/logger.js';
import type { Domicile, Worker } from './worker.js';

export const ROSTER_FILE = 'roster.db';
const SCHEMA_VERSION = 1;

const SCHEMA_V1 = `
CREATE TABLE workers (
  worker_id    TEXT    PRIMARY KEY,
  display_name TEXT    NOT NULL,
  domicile     TEXT    NOT NULL CHECK (domicile IN ('macau', 'mainland', 'other')),
  source       TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
`;

export interface StoredWorker extends Worker {
  /** File name the worker was last imported from. */
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ImportCounts {
  added: number;
  updated: number;
  unchanged: number;
  /** Workers absent from the file and deleted, with `replace` only. */
  removed: number;
}

interface WorkerRow {
  worker_id: string;
  display_name: string;
  domicile: Domicile;
  source: string;
  created_at: number;
  updated_at: number;
}

/**
 * The workers this device may enrol, in `<stateDir>/roster.db` (SQLite, WAL, `synchronous=FULL`).
 * Display names are personal data: they are stored here and printed to the technician, never logged.
 */
export class RosterStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly log: Logger;

  private constructor(db: Database.Database, file: string, logger: Logger) {
    this.db = db;
    this.file = file;
    this.log = logger.child({ module: 'roster' });
  }

  /** Open the roster, creating the state folder and the database on first use. */
  static open(options: { stateDir: string; logger: Logger }): RosterStore {
    fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.stateDir, ROSTER_FILE);
    const db = openVersionedDatabase(file, { pragmas: ['journal_mode = WAL', 'synchronous = FULL', 'secure_delete = ON'], schema: SCHEMA_V1, version: SCHEMA_VERSION });
    return new RosterStore(db, file, options.logger);
  }

  /**
   * Add new workers and update changed ones in one transaction. With `replace`, workers absent from
   * `workers` are deleted too, so the roster matches the file exactly.
   */
  importWorkers(workers: readonly Worker[], options: { source: string; now: Date; replace?: boolean }): ImportCounts {
    const now = options.now.getTime();
    const select = this.db.prepare<[string], WorkerRow>('SELECT * FROM workers WHERE worker_id = ?');
    const insert = this.db.prepare('INSERT INTO workers (worker_id, display_name, domicile, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    const update = this.db.prepare('UPDATE workers SET display_name = ?, domicile = ?, source = ?, updated_at = ? WHERE worker_id = ?');
    const counts: ImportCounts = { added: 0, updated: 0, unchanged: 0, removed: 0 };

    this.db.transaction(() => {
      for (const worker of workers) {
        const existing = select.get(worker.workerId);
        if (existing === undefined) {
          insert.run(worker.workerId, worker.displayName, worker.domicile, options.source, now, now);
          counts.added += 1;
        } else if (existing.display_name !== worker.displayName || existing.domicile !== worker.domicile) {
          update.run(worker.displayName, worker.domicile, options.source, now, worker.workerId);
          counts.updated += 1;
        } else {
          counts.unchanged += 1;
        }
      }
      if (options.replace === true) {
        const keep = new Set(workers.map((worker) => worker.workerId));
        const remove = this.db.prepare('DELETE FROM workers WHERE worker_id = ?');
        for (const row of this.db.prepare<[], { worker_id: string }>('SELECT worker_id FROM workers').all()) {
          if (keep.has(row.worker_id)) continue;
          remove.run(row.worker_id);
          counts.removed += 1;
        }
      }
    }).immediate();
    this.log.info({ ...counts, source: options.source }, 'roster imported');
    return counts;
  }

  list(): StoredWorker[] {
    return this.db
      .prepare<[], WorkerRow>('SELECT * FROM workers ORDER BY worker_id')
      .all()
      .map((row) => ({
        workerId: row.worker_id,
        displayName: row.display_name,
        domicile: row.domicile,
        source: row.source,
        createdAt: new Date(row.created_at),
        updatedAt: new Date(row.updated_at),
      }));
  }

  count(): number {
    return this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM workers').get()!.n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

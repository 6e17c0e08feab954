import type Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { openVersionedDatabase } from '../common/sqlite.js';
import type { CommandOutcome } from '../../protocol/command-result.js';

/**
 * Every command this device accepted, in `<stateDir>/commands.db` (SQLite, WAL,
 * `synchronous=FULL`), so a command id or nonce runs at most once while its row is kept, across
 * restarts and power loss. A row is claimed before the handler runs and marked finished after its result and audit
 * entry commit; a row left unfinished means the daemon stopped in between.
 *
 * Rows are kept until `keepUntil` (the command's expiry plus the clock skew plus a margin) and then
 * pruned: by then the expiry check rejects the command anyway.
 */

export const COMMANDS_FILE = 'commands.db';
const SCHEMA_VERSION = 1;
const SCHEMA_V1 = `
CREATE TABLE commands (
  command_id     TEXT    PRIMARY KEY,
  nonce          TEXT    NOT NULL UNIQUE,
  name           TEXT    NOT NULL,
  operator       TEXT    NOT NULL,
  received_at    INTEGER NOT NULL,
  keep_until     INTEGER NOT NULL,
  result_id      TEXT    NOT NULL,
  audit_entry_id TEXT    NOT NULL,
  outcome        TEXT
) WITHOUT ROWID;
CREATE INDEX commands_keep_until ON commands (keep_until);
`;

export interface LedgerEntry {
  commandId: string;
  nonce: string;
  name: string;
  operator: string;
  receivedAt: number;
  /** Unix milliseconds after which the row may be pruned. */
  keepUntil: number;
  /** Ids allocated before the handler runs, so a restart can tell whether the result was written. */
  resultId: string;
  auditEntryId: string;
}

export type ClaimResult = { claimed: true } | { claimed: false; seen: 'command id' | 'nonce' };

interface Row {
  command_id: string;
  nonce: string;
  name: string;
  operator: string;
  received_at: number;
  keep_until: number;
  result_id: string;
  audit_entry_id: string;
}

export class CommandLedger {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.statements = {
      insert: db.prepare<[string, string, string, string, number, number, string, string]>(
        `INSERT INTO commands (command_id, nonce, name, operator, received_at, keep_until, result_id, audit_entry_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      byId: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM commands WHERE command_id = ?'),
      finish: db.prepare<[string, string]>('UPDATE commands SET outcome = ? WHERE command_id = ?'),
      unfinished: db.prepare<[], Row>(
        'SELECT command_id, nonce, name, operator, received_at, keep_until, result_id, audit_entry_id FROM commands WHERE outcome IS NULL ORDER BY received_at',
      ),
      prune: db.prepare<[number]>('DELETE FROM commands WHERE outcome IS NOT NULL AND keep_until < ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM commands'),
    };
  }

  /** Open (or create) `<stateDir>/commands.db`. */
  static open(stateDir: string): CommandLedger {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(stateDir, COMMANDS_FILE);
    const db = openVersionedDatabase(file, {
      pragmas: ['journal_mode = WAL', 'synchronous = FULL', 'busy_timeout = 5000'],
      schema: SCHEMA_V1,
      version: SCHEMA_VERSION,
    });
    return new CommandLedger(db, file);
  }

  /** Record a command before it runs; returns `claimed: false` when its id or its nonce was seen before. */
  claim(entry: LedgerEntry): ClaimResult {
    const inserted = this.statements.insert.run(
      entry.commandId, entry.nonce, entry.name, entry.operator, entry.receivedAt, entry.keepUntil, entry.resultId, entry.auditEntryId,
    ).changes;
    if (inserted === 1) return { claimed: true };
    return { claimed: false, seen: this.statements.byId.get(entry.commandId) === undefined ? 'nonce' : 'command id' };
  }

  finish(commandId: string, outcome: CommandOutcome): void {
    this.statements.finish.run(outcome, commandId);
  }

  /** Commands claimed but never finished, oldest first. */
  unfinished(): LedgerEntry[] {
    return this.statements.unfinished.all().map((row) => ({
      commandId: row.command_id,
      nonce: row.nonce,
      name: row.name,
      operator: row.operator,
      receivedAt: row.received_at,
      keepUntil: row.keep_until,
      resultId: row.result_id,
      auditEntryId: row.audit_entry_id,
    }));
  }

  /** Delete finished rows whose keep time has passed; returns how many. */
  prune(nowMs: number): number {
    return this.statements.prune.run(nowMs).changes;
  }

  size(): number {
    return this.statements.count.get()!.n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

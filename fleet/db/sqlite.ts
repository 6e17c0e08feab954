import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.js';

/**
 * The fleet store on SQLite (better-sqlite3, WAL). better-sqlite3 is synchronous and one
 * connection serves the whole process, so every operation and transaction takes a turn on one
 * queue: a statement issued while another caller's transaction is open would otherwise land
 * inside it. Several fleet processes may share the file; SQLite's own locking and the busy
 * timeout order them.
 *
 * `synchronous=NORMAL` in WAL mode makes a commit survive a crash of the process but not a power
 * loss of the fleet server, which may lose the last commits; the devices still hold every
 * event in their outboxes until pruned.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private turn: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.description = `sqlite:${path.resolve(file)}`;
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly direct: SqlExecutor = {
    query: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => {
      const statement = this.prepare(sql);
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
    },
    run: async (sql: string, params: readonly SqlValue[] = []) => this.prepare(sql).run(...params).changes,
  };

  private queued<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.queued(() => this.direct.query<T>(sql, params));
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.queued(() => this.direct.run(sql, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.queued(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.direct);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    });
  }

  exec(script: string): Promise<void> {
    return this.queued(async () => {
      this.db.exec(script);
    });
  }

  async close(): Promise<void> {
    await this.turn;
    this.db.close();
  }
}

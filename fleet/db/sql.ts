/**
 * The small SQL surface the fleet store needs, with one implementation per database. Statements
 * are written once with `?` placeholders in the SQL both SQLite 3.35+ and PostgreSQL 12+ accept
 * (ON CONFLICT, RETURNING, CASE, substr); the PostgreSQL side numbers the placeholders.
 */

export type Dialect = 'sqlite' | 'postgres';
export type SqlValue = string | number | null;

export interface SqlExecutor {
  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Run a statement; returns the number of rows changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: Dialect;
  /** What the database is, without credentials, for logs. */
  readonly description: string;
  /** Run `work` in one transaction; it commits when `work` resolves and rolls back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Run a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

/** `?` placeholders to `$1`, `$2`, ... for PostgreSQL; our statements contain no `?` inside literals. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `(?, ?, ?), (?, ?, ?)` for a multi-row VALUES list. */
export function valuesList(rows: number, columns: number): string {
  const row = `(${new Array(columns).fill('?').join(', ')})`;
  return new Array(rows).fill(row).join(', ');
}

import pg from 'pg';
import { numberPlaceholders, type SqlDatabase, type SqlExecutor, type SqlValue } from './sql.js';

const INT8_OID = 20;

/**
 * The fleet store on PostgreSQL through a `pg` pool. BIGINT columns come back as JavaScript
 * numbers (every value we store, Unix milliseconds and sequence numbers, is below 2^53).
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly description: string;
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: { maxConnections?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.maxConnections ?? 4,
      types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser },
    });
    // An idle client whose server connection breaks emits here; without a listener the process would exit.
    this.pool.on('error', () => undefined);
    const url = new URL(connectionString);
    this.description = `postgres://${url.host}${url.pathname}`;
  }

  private static executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    return {
      query: async <T extends object>(sql: string, params: readonly SqlValue[] = []) =>
        (await client.query(numberPlaceholders(sql), params as SqlValue[])).rows as T[],
      run: async (sql: string, params: readonly SqlValue[] = []) => (await client.query(numberPlaceholders(sql), params as SqlValue[])).rowCount ?? 0,
    };
  }

  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return PostgresDatabase.executor(this.pool).query<T>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return PostgresDatabase.executor(this.pool).run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(PostgresDatabase.executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

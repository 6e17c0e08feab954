import Database from 'better-sqlite3';

export interface VersionedDatabaseOptions {
  /** `PRAGMA` statements run on every open, before the schema check (`journal_mode = WAL`, ...). */
  pragmas: readonly string[];
  /** SQL that creates the current schema on an empty database. */
  schema: string;
  version: number;
}

/**
 * Open a SQLite file with its pragmas, create the schema on first use and record its `user_version`.
 * A file written by newer firmware is refused rather than read with the wrong schema; the handle is
 * closed again on any error.
 */
export function openVersionedDatabase(file: string, options: VersionedDatabaseOptions): Database.Database {
  const db = new Database(file);
  try {
    for (const pragma of options.pragmas) db.pragma(pragma);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > options.version) {
      throw new Error(`${file} has schema version ${version}, newer than this firmware (${options.version})`);
    }
    if (version < options.version) {
      db.transaction(() => {
        db.exec(options.schema);
        db.pragma(`user_version = ${options.version}`);
      }).immediate();
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

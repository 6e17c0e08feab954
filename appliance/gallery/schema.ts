import fs from 'node:fs';

import Database from 'better-sqlite3';

import { FacegateError } from '../common/errors.js';

type Db = Database.Database;

/**
 * Schema migrations: entry i brings the database from `user_version` i to i + 1.
 * Append new steps; never edit a released one.
 */
const MIGRATIONS: ReadonlyArray<(db: Db) => void> = [
  (db) => {
    db.exec(`
      CREATE TABLE gallery_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;

      CREATE TABLE subjects (
        id TEXT PRIMARY KEY,
        display_name TEXT,
        pseudonym TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL -- Unix time in milliseconds
      ) STRICT;

      CREATE TABLE subject_keys (
        subject_id TEXT PRIMARY KEY REFERENCES subjects(id) ON DELETE CASCADE,
        nonce BLOB NOT NULL,
        wrapped_key BLOB NOT NULL,
        tag BLOB NOT NULL
      ) STRICT;

      CREATE TABLE templates (
        id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
        model_version TEXT NOT NULL,
        quality REAL NOT NULL,
        created_at INTEGER NOT NULL, -- Unix time in milliseconds
        nonce BLOB NOT NULL,
        ciphertext BLOB NOT NULL,
        tag BLOB NOT NULL
      ) STRICT;

      CREATE INDEX templates_by_subject ON templates(subject_id);
    `);
  },
];

export const GALLERY_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Open (creating if needed) the gallery database: WAL, `synchronous=FULL`, foreign keys, and
 * `secure_delete=ON` so deleted rows are overwritten with zeros instead of lingering in free pages.
 * Then migrate the schema to the current version.
 */
export function openGalleryDatabase(file: string): Db {
  if (!fs.existsSync(file)) {
    // SQLite gives the -wal and -shm files the mode of the main file, so this covers all three.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }

  const db = new Database(file, { timeout: 5000 });
  try {
    const journalMode = db.pragma('journal_mode = WAL', { simple: true });
    if (journalMode !== 'wal') {
      throw new FacegateError('GALLERY_WAL_UNAVAILABLE', `Gallery database ${file} could not switch to WAL mode (got ${String(journalMode)}).`, {
        hint: 'Keep the state directory on a local file system such as ext4; network file systems do not support WAL.',
        params: { path: file },
      });
    }
    db.pragma('synchronous = FULL');
    db.pragma('secure_delete = ON');
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Db, file: string): void {
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new
  // gallery at once cannot both run the same step.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new FacegateError(
        'GALLERY_SCHEMA_TOO_NEW',
        `Gallery database ${file} has schema version ${current}, but this firmware supports up to ${MIGRATIONS.length}.`,
        {
          hint: 'Install the firmware release that wrote this gallery, or a newer one; do not edit the file.',
          params: { path: file, version: current, supported: MIGRATIONS.length },
        },
      );
    }
    for (let version = current; version < MIGRATIONS.length; version++) {
      MIGRATIONS[version]!(db);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}

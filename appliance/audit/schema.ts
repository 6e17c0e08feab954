import type Database from 'better-sqlite3';

/**
 * Audit tables, kept in the outbox database (`outbox.db`) so that an entry commits in the same
 * SQLite transaction as the outbox row of the event it records. The outbox owns `user_version`,
 * so the audit schema keeps its own version in `audit_meta`.
 *
 * Each entry is stored field by field, as an auditor would query and, in an attack, edit it; the
 * verifier rebuilds the entry from the columns and rehashes it. `position` is the insertion order,
 * which verification walks, so a renumbered or moved row shows up as out of order.
 */
const AUDIT_SCHEMA_V1 = `
CREATE TABLE audit_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audit_entries (
  position       INTEGER PRIMARY KEY,
  seq            INTEGER NOT NULL,
  id             TEXT    NOT NULL,
  device_id      TEXT    NOT NULL,
  site_id        TEXT    NOT NULL,
  wall_time      TEXT    NOT NULL,
  wall_ms        INTEGER NOT NULL,
  monotonic_ms   REAL    NOT NULL,
  clock_state    TEXT    NOT NULL,
  clock_source   TEXT,
  actor_kind     TEXT    NOT NULL,
  actor_id       TEXT,
  action         TEXT    NOT NULL,
  object_kind    TEXT,
  object_id      TEXT,
  outcome        TEXT    NOT NULL,
  reason         TEXT,
  source_address TEXT,
  event_id       TEXT,
  detail         TEXT    NOT NULL,
  prev_hash      TEXT    NOT NULL,
  hash           TEXT    NOT NULL,
  shipped_at     INTEGER,
  ship_error     TEXT
);
CREATE INDEX audit_entries_by_seq ON audit_entries (seq);
CREATE INDEX audit_entries_by_time ON audit_entries (wall_ms);
CREATE INDEX audit_entries_unshipped ON audit_entries (seq) WHERE shipped_at IS NULL;

-- One row: the chain head and the Merkle frontier after the last entry.
CREATE TABLE audit_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  size      INTEGER NOT NULL,
  last_hash TEXT    NOT NULL,
  frontier  TEXT    NOT NULL
);

CREATE TABLE audit_checkpoints (
  number       INTEGER PRIMARY KEY,
  id           TEXT    NOT NULL UNIQUE,
  size         INTEGER NOT NULL,
  root_hash    TEXT    NOT NULL,
  wall_time    TEXT    NOT NULL,
  clock_state  TEXT    NOT NULL,
  clock_source TEXT,
  note         TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  shipped_at   INTEGER
);
`;

export const AUDIT_SCHEMA_VERSION = 1;

/** Return the audit schema version of `db`, or 0 when it has no audit tables. */
export function auditSchemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_meta'").get();
  if (table === undefined) return 0;
  const row = db.prepare<[], { value: string }>("SELECT value FROM audit_meta WHERE key = 'schema_version'").get();
  return row === undefined ? 0 : Number(row.value);
}

/** Create the audit tables, or check the version of existing ones. Call inside a transaction. */
export function migrateAudit(db: Database.Database): void {
  const version = auditSchemaVersion(db);
  if (version === AUDIT_SCHEMA_VERSION) return;
  if (version > AUDIT_SCHEMA_VERSION) {
    throw new Error(`audit schema version ${version} is newer than this firmware understands (${AUDIT_SCHEMA_VERSION}); was the firmware downgraded?`);
  }
  db.exec(AUDIT_SCHEMA_V1);
  db.prepare("INSERT INTO audit_meta (key, value) VALUES ('schema_version', ?)").run(String(AUDIT_SCHEMA_VERSION));
}

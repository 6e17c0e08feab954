import type Database from 'better-sqlite3';

/**
 * Outbox tables, version 1. `position` is the drain order; `id` is the event id that receivers
 * deduplicate on. Rows stay after delivery (with `delivered_at`) until prune() removes them, so a
 * technician can still see what was sent and when.
 */
const SCHEMA_V1 = `
CREATE TABLE outbox (
  position        INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  stream          TEXT    NOT NULL,
  seq             INTEGER NOT NULL,
  topic           TEXT    NOT NULL,
  payload         TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_attempt_at INTEGER,
  delivered_at    INTEGER
);
CREATE INDEX outbox_by_delivery ON outbox (delivered_at, position);

CREATE TABLE sequences (
  device_id TEXT    NOT NULL,
  stream    TEXT    NOT NULL,
  last_seq  INTEGER NOT NULL,
  PRIMARY KEY (device_id, stream)
) WITHOUT ROWID;

CREATE TABLE quarantine (
  position       INTEGER PRIMARY KEY,
  id             TEXT,
  row_json       TEXT    NOT NULL,
  reason         TEXT    NOT NULL,
  quarantined_at INTEGER NOT NULL
);
`;

export const SCHEMA_VERSION = 1;

/** Create the tables in a new database, or check the version of an existing one. */
export function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw new Error(`schema version ${version} is newer than this firmware understands (${SCHEMA_VERSION}); was the firmware downgraded?`);
  }
  db.transaction(() => {
    db.exec(SCHEMA_V1);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

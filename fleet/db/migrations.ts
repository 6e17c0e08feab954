import type { SqlDatabase } from './sql.js';

/**
 * Fleet store schema, the same on SQLite and PostgreSQL: only types and statements both accept
 * (TEXT, BIGINT, INTEGER, DOUBLE PRECISION, composite keys, partial UNIQUE through NULLs). Times
 * are Unix milliseconds; `wall_time` keeps the device's RFC 3339 text as received.
 *
 * A migration runs once, in a transaction with its row in `schema_migrations`. Add new migrations
 * at the end and never edit one that has shipped.
 */

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'devices, events, audit chain, alerts',
    sql: `
CREATE TABLE devices (
  device_id      TEXT PRIMARY KEY,
  site_id        TEXT NOT NULL,
  name           TEXT,
  state          TEXT NOT NULL DEFAULT 'unknown',
  state_reason   TEXT,
  state_since    BIGINT,
  last_seen      BIGINT,
  firmware       TEXT,
  models         TEXT,
  outbox_depth   BIGINT,
  clock_state    TEXT,
  last_telemetry BIGINT,
  telemetry      TEXT
);

CREATE TABLE events (
  event_id       TEXT PRIMARY KEY,
  device_id      TEXT NOT NULL,
  site_id        TEXT NOT NULL,
  seq            BIGINT NOT NULL,
  wall_time      TEXT NOT NULL,
  wall_ms        BIGINT NOT NULL,
  local_day      TEXT NOT NULL,
  clock_state    TEXT NOT NULL,
  subject        TEXT,
  decision       TEXT NOT NULL,
  method         TEXT NOT NULL,
  direction      TEXT NOT NULL,
  door_actuated  INTEGER NOT NULL,
  audit_entry_id TEXT,
  payload        TEXT NOT NULL,
  received_at    BIGINT NOT NULL,
  receiver       TEXT NOT NULL
);
CREATE INDEX events_by_day ON events (local_day, subject);
CREATE INDEX events_by_received ON events (received_at);
CREATE INDEX events_by_device ON events (device_id, seq);

CREATE TABLE audit_entries (
  device_id   TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  entry_id    TEXT NOT NULL,
  hash        TEXT NOT NULL,
  prev_hash   TEXT NOT NULL,
  wall_time   TEXT NOT NULL,
  action      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  payload     TEXT NOT NULL,
  tree_root   TEXT,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, seq)
);

-- A second, different entry for a (device, seq) already stored: evidence of a fork.
CREATE TABLE audit_conflicts (
  device_id   TEXT NOT NULL,
  seq         BIGINT NOT NULL,
  hash        TEXT NOT NULL,
  payload     TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, seq, hash)
);

CREATE TABLE audit_checkpoints (
  device_id   TEXT NOT NULL,
  size        BIGINT NOT NULL,
  root_hash   TEXT NOT NULL,
  number      BIGINT NOT NULL,
  wall_time   TEXT NOT NULL,
  note        TEXT NOT NULL,
  status      TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (device_id, size, root_hash)
);
CREATE INDEX audit_checkpoints_pending ON audit_checkpoints (device_id, status, size);

CREATE TABLE chain_state (
  device_id     TEXT PRIMARY KEY,
  verified_seq  BIGINT NOT NULL,
  verified_hash TEXT NOT NULL,
  frontier      TEXT NOT NULL,
  broken_seq    BIGINT,
  broken_reason TEXT,
  gap_since     BIGINT,
  updated_at    BIGINT NOT NULL
);

CREATE TABLE alerts (
  alert_id    TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  severity    TEXT NOT NULL,
  message     TEXT NOT NULL,
  details     TEXT NOT NULL,
  raised_at   BIGINT NOT NULL,
  resolved_at BIGINT,
  open_key    TEXT UNIQUE
);
CREATE INDEX alerts_by_time ON alerts (raised_at);

CREATE TABLE rejections (
  rejection_id TEXT PRIMARY KEY,
  topic        TEXT NOT NULL,
  device_id    TEXT,
  kind         TEXT NOT NULL,
  message      TEXT NOT NULL,
  received_at  BIGINT NOT NULL,
  receiver     TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'command results',
    sql: `
-- One row per cmd-result a device sent. A device answers a replayed command with a new result_id.
CREATE TABLE command_results (
  result_id      TEXT PRIMARY KEY,
  command_id     TEXT NOT NULL,
  device_id      TEXT NOT NULL,
  site_id        TEXT NOT NULL,
  name           TEXT NOT NULL,
  outcome        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  finished_at    TEXT NOT NULL,
  audit_entry_id TEXT NOT NULL,
  payload        TEXT NOT NULL,
  received_at    BIGINT NOT NULL,
  receiver       TEXT NOT NULL
);
CREATE INDEX command_results_by_command ON command_results (command_id);
CREATE INDEX command_results_by_device ON command_results (device_id, received_at);
`,
  },
];

/**
 * Apply the migrations the database lacks. On PostgreSQL a transaction-scoped advisory lock makes
 * a second instance starting at the same moment wait and then find the work done; on SQLite the
 * immediate transaction does the same.
 */
export async function migrate(db: SqlDatabase, now = Date.now()): Promise<number[]> {
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS on PostgreSQL can both miss the
  // table and one then fails on the catalog's unique index (pg_type_typname_nsp_index).
  await db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7261636)');
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  });
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    const done = await db.transaction(async (tx) => {
      if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7261636)');
      const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (rows.length > 0) return false;
      for (const statement of splitStatements(migration.sql)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  const newest = await db.query<{ version: number }>('SELECT MAX(version) AS version FROM schema_migrations');
  const known = MIGRATIONS.at(-1)!.version;
  if ((newest[0]?.version ?? 0) > known) {
    throw new Error(`The fleet database is at schema version ${newest[0]!.version}, newer than this program knows (${known}); run the newer fleet monitor.`);
  }
  return applied;
}

/** Split a migration into statements; our migrations contain no `;` inside literals. */
function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((statement) => statement.replace(/--[^\n]*/g, '').trim())
    .filter((statement) => statement !== '');
}

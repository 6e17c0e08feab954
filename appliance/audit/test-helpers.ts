import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../common/logger.js';
import { Outbox } from '../outbox/outbox.js';
import { OUTBOX_FILE } from '../outbox/outbox.js';
import { AuditLog, type AuditDraft } from './log.js';
import { entryHash } from './entry.js';
import { ENTRY_COLUMNS, entryFromRow, type EntryRow } from './rows.js';

/** Test fixtures for the audit log: a real outbox database in a temporary folder. */

export interface AuditFixture {
  dir: string;
  outbox: Outbox;
  audit: AuditLog;
  /** Milliseconds the fixture clock has advanced; each entry moves it by one second. */
  clock: { now: number };
  close(): Promise<void>;
}

export const FIXTURE_START_MS = Date.parse('2026-12-01T08:00:00+08:00');

export function createAuditFixture(options: { deviceId?: string; siteId?: string; dir?: string } = {}): AuditFixture {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-audit-'));
  const clock = { now: FIXTURE_START_MS };
  const logger = silentLogger();
  const outbox = Outbox.open({ stateDir: dir, deviceId: options.deviceId ?? 'gate-01', logger, minFreeDiskBytes: 0 });
  const audit = AuditLog.attach({ outbox, siteId: options.siteId ?? 'mo-taipa-01', logger, now: () => clock.now, clock: () => ({ state: 'synced', source: 'ntp' }) });
  return {
    dir,
    outbox,
    audit,
    clock,
    async close() {
      await outbox.close();
    },
  };
}

export const SAMPLE_DRAFTS: AuditDraft[] = [
  { actor: { kind: 'system', id: null }, action: 'service.start', object: { kind: 'service', id: 'facegate' }, outcome: 'success' },
  { actor: { kind: 'technician', id: 'tech.wong' }, action: 'technician.sign-in', outcome: 'failure', reason: 'wrong-password', sourceAddress: '192.0.2.10' },
  { actor: { kind: 'technician', id: 'tech.wong' }, action: 'technician.sign-in', outcome: 'success', sourceAddress: '192.0.2.10' },
  { actor: { kind: 'worker', id: 'sub_A' }, action: 'consent.grant', object: { kind: 'subject', id: 'sub_A' }, outcome: 'success', sourceAddress: '192.0.2.20', detail: { form: 'zh-Hant-2026-01' } },
  { actor: { kind: 'technician', id: 'tech.wong' }, action: 'enrolment.add', object: { kind: 'subject', id: 'sub_A' }, outcome: 'success' },
  { actor: { kind: 'technician', id: 'tech.wong' }, action: 'config.change', object: { kind: 'config', id: 'door' }, outcome: 'success', detail: { keys: 'door.pulseMs' } },
  { actor: { kind: 'system', id: null }, action: 'door.forced', object: { kind: 'door', id: 'main' }, outcome: 'failure', reason: 'contact-open' },
  { actor: { kind: 'worker', id: 'sub_A' }, action: 'consent.withdraw', object: { kind: 'subject', id: 'sub_A' }, outcome: 'success', sourceAddress: '192.0.2.20' },
  { actor: { kind: 'system', id: null }, action: 'enrolment.remove', object: { kind: 'subject', id: 'sub_A' }, outcome: 'success', reason: 'consent-withdrawn' },
  { actor: { kind: 'system', id: null }, action: 'service.stop', object: { kind: 'service', id: 'facegate' }, outcome: 'success' },
];

/** Record `count` entries cycling through SAMPLE_DRAFTS, one second apart. */
export function recordSamples(fixture: AuditFixture, count: number): void {
  for (let i = 0; i < count; i++) {
    fixture.clock.now += 1000;
    fixture.audit.record(SAMPLE_DRAFTS[i % SAMPLE_DRAFTS.length]!);
  }
}

/** Open a second connection to the outbox database, as someone with shell access on the device could. */
export function openAsAttacker(dir: string): Database.Database {
  return new Database(path.join(dir, OUTBOX_FILE));
}

/** Recompute an entry's hash after an edit, as an attacker who has read this code would. */
export function rehashEntry(db: Database.Database, seq: number): string {
  const row = db.prepare<[number], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE seq = ?`).get(seq)!;
  const hash = entryHash(entryFromRow(row) as never);
  db.prepare('UPDATE audit_entries SET hash = ? WHERE seq = ?').run(hash, seq);
  return hash;
}

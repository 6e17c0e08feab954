import Database from 'better-sqlite3';
import { openVersionedDatabase } from '../common/sqlite.js';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../common/logger.js';
import type { Locale } from '../i18n/locale.js';
import type { FormId } from './forms.js';

export const CONSENT_FILE = 'consent.db';
const SCHEMA_VERSION = 1;

/**
 * `consents` keeps one row per consent given. Withdrawal fills the `withdrawn_*` columns and never
 * deletes the row, so an inspector can see when and how consent was given and what happened after.
 * `consent_steps` records each step of the flow. `withdrawals` is an append-only queue that the
 * daemon polls to drop withdrawn subjects from its matcher.
 */
const SCHEMA_V1 = `
CREATE TABLE consents (
  id                  TEXT    PRIMARY KEY,
  subject_id          TEXT    NOT NULL,
  purpose             TEXT    NOT NULL,
  law                 TEXT    NOT NULL CHECK (law IN ('macau-pdpa', 'mainland-pipl')),
  locale              TEXT    NOT NULL,
  forms               TEXT    NOT NULL,
  method              TEXT    NOT NULL CHECK (method IN ('cli', 'kiosk')),
  witness             TEXT,
  granted_at          INTEGER NOT NULL,
  receipt             TEXT    NOT NULL,
  withdrawn_at        INTEGER,
  withdrawal_method   TEXT CHECK (withdrawal_method IN ('cli', 'kiosk', 'remote-command')),
  templates_destroyed INTEGER,
  withdrawal_receipt  TEXT
) WITHOUT ROWID;
CREATE INDEX consents_by_subject ON consents (subject_id, granted_at);

CREATE TABLE consent_steps (
  consent_id TEXT    NOT NULL REFERENCES consents (id),
  position   INTEGER NOT NULL,
  step       TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  ip         TEXT,
  user_agent TEXT    NOT NULL,
  device_id  TEXT    NOT NULL,
  locale     TEXT    NOT NULL,
  PRIMARY KEY (consent_id, position)
) WITHOUT ROWID;

CREATE TABLE withdrawals (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  consent_id TEXT    NOT NULL REFERENCES consents (id),
  subject_id TEXT    NOT NULL,
  at         INTEGER NOT NULL
);
`;

export type ConsentMethod = 'cli' | 'kiosk';
export type WithdrawalMethod = 'cli' | 'kiosk' | 'remote-command';

/** A form the worker accepted, as recorded: never the text itself, only what identifies it. */
export interface AcceptedForm {
  id: FormId;
  version: string;
  locale: Locale;
  sha256: string;
}

/** One step of the consent flow: the form shown, the separate face-recognition choice, the confirmation. */
export interface ConsentStep {
  step: string;
  at: Date;
  /** Address of the browser for kiosk steps; null for a technician at the device's console. */
  ip: string | null;
  userAgent: string;
  deviceId: string;
  locale: Locale;
}

export interface ConsentRecord {
  id: string;
  subjectId: string;
  purpose: string;
  law: 'macau-pdpa' | 'mainland-pipl';
  locale: Locale;
  forms: AcceptedForm[];
  method: ConsentMethod;
  /** Technician who witnessed a consent given at the console; null for a worker's own kiosk flow. */
  witness: string | null;
  grantedAt: Date;
  /** Signed receipt (compact JWS). */
  receipt: string;
  withdrawnAt: Date | null;
  withdrawalMethod: WithdrawalMethod | null;
  templatesDestroyed: number | null;
  withdrawalReceipt: string | null;
  steps: ConsentStep[];
}

export interface PendingWithdrawal {
  seq: number;
  consentId: string;
  subjectId: string;
  at: Date;
}

interface ConsentRow {
  id: string;
  subject_id: string;
  purpose: string;
  law: 'macau-pdpa' | 'mainland-pipl';
  locale: Locale;
  forms: string;
  method: ConsentMethod;
  witness: string | null;
  granted_at: number;
  receipt: string;
  withdrawn_at: number | null;
  withdrawal_method: WithdrawalMethod | null;
  templates_destroyed: number | null;
  withdrawal_receipt: string | null;
}

interface StepRow {
  step: string;
  at: number;
  ip: string | null;
  user_agent: string;
  device_id: string;
  locale: Locale;
}

/** Consent records of one device, in `<stateDir>/consent.db` (SQLite, WAL, `synchronous=FULL`). */
export class ConsentStore {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly log: Logger;

  private constructor(db: Database.Database, file: string, logger: Logger) {
    this.db = db;
    this.file = file;
    this.log = logger.child({ module: 'consent' });
  }

  static open(options: { stateDir: string; logger: Logger }): ConsentStore {
    fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    const file = path.join(options.stateDir, CONSENT_FILE);
    const db = openVersionedDatabase(file, { pragmas: ['journal_mode = WAL', 'synchronous = FULL', 'foreign_keys = ON', 'busy_timeout = 5000'], schema: SCHEMA_V1, version: SCHEMA_VERSION });
    return new ConsentStore(db, file, options.logger);
  }

  /** Store a consent and its steps in one transaction. */
  insert(record: Omit<ConsentRecord, 'withdrawnAt' | 'withdrawalMethod' | 'templatesDestroyed' | 'withdrawalReceipt'>): void {
    const insertConsent = this.db.prepare(
      `INSERT INTO consents (id, subject_id, purpose, law, locale, forms, method, witness, granted_at, receipt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertStep = this.db.prepare(
      'INSERT INTO consent_steps (consent_id, position, step, at, ip, user_agent, device_id, locale) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      insertConsent.run(
        record.id,
        record.subjectId,
        record.purpose,
        record.law,
        record.locale,
        JSON.stringify(record.forms),
        record.method,
        record.witness,
        record.grantedAt.getTime(),
        record.receipt,
      );
      record.steps.forEach((step, index) => {
        insertStep.run(record.id, index + 1, step.step, step.at.getTime(), step.ip, step.userAgent, step.deviceId, step.locale);
      });
    }).immediate();
    this.log.info({ consent: record.id, law: record.law, method: record.method }, 'consent recorded');
  }

  /** Return the subject's consent in force (given and not withdrawn), or undefined. */
  active(subjectId: string, purpose: string): ConsentRecord | undefined {
    const row = this.db
      .prepare<[string, string], ConsentRow>(
        'SELECT * FROM consents WHERE subject_id = ? AND purpose = ? AND withdrawn_at IS NULL ORDER BY granted_at DESC LIMIT 1',
      )
      .get(subjectId, purpose);
    return row === undefined ? undefined : this.toRecord(row);
  }

  get(consentId: string): ConsentRecord | undefined {
    const row = this.db.prepare<[string], ConsentRow>('SELECT * FROM consents WHERE id = ?').get(consentId);
    return row === undefined ? undefined : this.toRecord(row);
  }

  /** Return every consent of a subject, oldest first, withdrawn ones included. */
  history(subjectId: string): ConsentRecord[] {
    return this.db
      .prepare<[string], ConsentRow>('SELECT * FROM consents WHERE subject_id = ? ORDER BY granted_at')
      .all(subjectId)
      .map((row) => this.toRecord(row));
  }

  /** Subjects with a consent in force. */
  activeSubjects(purpose: string): Set<string> {
    const rows = this.db
      .prepare<[string], { subject_id: string }>('SELECT DISTINCT subject_id FROM consents WHERE purpose = ? AND withdrawn_at IS NULL')
      .all(purpose);
    return new Set(rows.map((row) => row.subject_id));
  }

  /**
   * Mark a consent withdrawn and queue the withdrawal for the daemon, in one transaction. Returns
   * false when the consent was already withdrawn, so a repeated request changes nothing.
   */
  markWithdrawn(consentId: string, update: { at: Date; method: WithdrawalMethod; templatesDestroyed: number; receipt: string }): boolean {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare(
            `UPDATE consents SET withdrawn_at = ?, withdrawal_method = ?, templates_destroyed = ?, withdrawal_receipt = ?
             WHERE id = ? AND withdrawn_at IS NULL`,
          )
          .run(update.at.getTime(), update.method, update.templatesDestroyed, update.receipt, consentId).changes;
        if (changed === 0) return false;
        const subject = this.db.prepare<[string], { subject_id: string }>('SELECT subject_id FROM consents WHERE id = ?').get(consentId)!;
        this.db.prepare('INSERT INTO withdrawals (consent_id, subject_id, at) VALUES (?, ?, ?)').run(consentId, subject.subject_id, update.at.getTime());
        return true;
      })
      .immediate();
  }

  /** Withdrawals queued after `afterSeq`, oldest first. */
  withdrawalsAfter(afterSeq: number): PendingWithdrawal[] {
    return this.db
      .prepare<[number], { seq: number; consent_id: string; subject_id: string; at: number }>('SELECT * FROM withdrawals WHERE seq > ? ORDER BY seq')
      .all(afterSeq)
      .map((row) => ({ seq: row.seq, consentId: row.consent_id, subjectId: row.subject_id, at: new Date(row.at) }));
  }

  lastWithdrawalSeq(): number {
    return this.db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM withdrawals').get()!.seq ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private toRecord(row: ConsentRow): ConsentRecord {
    const steps = this.db
      .prepare<[string], StepRow>('SELECT step, at, ip, user_agent, device_id, locale FROM consent_steps WHERE consent_id = ? ORDER BY position')
      .all(row.id)
      .map((step) => ({ step: step.step, at: new Date(step.at), ip: step.ip, userAgent: step.user_agent, deviceId: step.device_id, locale: step.locale }));
    return {
      id: row.id,
      subjectId: row.subject_id,
      purpose: row.purpose,
      law: row.law,
      locale: row.locale,
      forms: JSON.parse(row.forms) as AcceptedForm[],
      method: row.method,
      witness: row.witness,
      grantedAt: new Date(row.granted_at),
      receipt: row.receipt,
      withdrawnAt: row.withdrawn_at === null ? null : new Date(row.withdrawn_at),
      withdrawalMethod: row.withdrawal_method,
      templatesDestroyed: row.templates_destroyed,
      withdrawalReceipt: row.withdrawal_receipt,
      steps,
    };
  }
}

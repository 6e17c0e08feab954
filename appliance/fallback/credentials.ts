import Database from 'better-sqlite3';
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { validateSubjectId } from '../gallery/validate.js';

export const CREDENTIALS_FILE = 'credentials.db';

/** scrypt cost for PINs: N=2^14, r=8, p=1 (the Node default), about 50 ms on a Pi 4 (an estimate). */
const SCRYPT = { N: 16_384, r: 8, p: 1 } as const;
const HASH_BYTES = 32;
const PIN_PATTERN = /^[0-9]{4,12}$/;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pins (
  subject_id TEXT PRIMARY KEY,
  salt       BLOB NOT NULL,
  hash       BLOB NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS badges (
  badge_hash TEXT PRIMARY KEY,
  subject_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Non-biometric credentials: a PIN (scrypt hash with its own salt) and badges (SHA-256 of the badge
 * id, which readers send in clear anyway) per worker, in `<stateDir>/credentials.db`. Withdrawing
 * face consent leaves these untouched, so the worker keeps clocking in.
 */
export class CredentialStore {
  private constructor(private readonly db: Database.Database, private readonly log: Logger) {}

  static open(options: { stateDir: string; logger: Logger }): CredentialStore {
    fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    const db = new Database(path.join(options.stateDir, CREDENTIALS_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new CredentialStore(db, options.logger.child({ module: 'credentials' }));
  }

  setPin(subjectId: string, pin: string, now = new Date()): void {
    validateSubjectId(subjectId);
    if (!PIN_PATTERN.test(pin)) {
      throw new FacegateError('fallback.invalid_pin', `The PIN for ${subjectId} must be 4 to 12 digits.`, {
        hint: 'Choose a PIN of 4 to 12 digits that the keypad can type.',
        params: { subject: subjectId },
      });
    }
    const salt = randomBytes(16);
    const hash = scryptSync(pin, salt, HASH_BYTES, SCRYPT);
    this.db
      .prepare('INSERT INTO pins (subject_id, salt, hash, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (subject_id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, updated_at = excluded.updated_at')
      .run(subjectId, salt, hash, now.getTime());
    this.log.info({ subject: subjectId }, 'PIN set');
  }

  /** Check a PIN in constant time; false for an unknown subject too. */
  checkPin(subjectId: string, pin: string): boolean {
    const row = this.db.prepare<[string], { salt: Buffer; hash: Buffer }>('SELECT salt, hash FROM pins WHERE subject_id = ?').get(subjectId);
    // An unknown subject still costs one scrypt, so timing does not reveal who has a PIN.
    const salt = row?.salt ?? Buffer.alloc(16);
    const computed = scryptSync(pin, salt, HASH_BYTES, SCRYPT);
    return row !== undefined && timingSafeEqual(computed, row.hash);
  }

  addBadge(subjectId: string, badgeId: string, now = new Date()): void {
    validateSubjectId(subjectId);
    this.db
      .prepare('INSERT INTO badges (badge_hash, subject_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (badge_hash) DO UPDATE SET subject_id = excluded.subject_id, updated_at = excluded.updated_at')
      .run(badgeHash(badgeId), subjectId, now.getTime());
  }

  /** Return the worker a badge belongs to, or undefined. */
  subjectForBadge(badgeId: string): string | undefined {
    return this.db.prepare<[string], { subject_id: string }>('SELECT subject_id FROM badges WHERE badge_hash = ?').get(badgeHash(badgeId))?.subject_id;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function badgeHash(badgeId: string): string {
  return createHash('sha256').update(`facegate-badge-v1\n${badgeId}`).digest('hex');
}

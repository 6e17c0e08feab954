import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const TECHNICIANS_FILE = 'kiosk-technicians.json';

/** scrypt N=2^15, r=8, p=1: OWASP's minimum for scrypt password storage (Password Storage Cheat Sheet). */
const SCRYPT = { N: 32_768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const HASH_BYTES = 32;
export const MAX_FAILED_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;
const USER_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MIN_PASSWORD_LENGTH = 10;

interface Account {
  salt: string;
  hash: string;
}

export type SignInResult = { ok: true } | { ok: false; reason: 'wrong-password' | 'locked' };

/**
 * Technician accounts of the kiosk in `<stateDir>/kiosk-technicians.json` (mode 0600): scrypt
 * hashes with a salt each. After MAX_FAILED_ATTEMPTS wrong passwords in a row an account is locked
 * for LOCKOUT_MS; the counters live in memory, so a restart clears them.
 */
export class TechnicianAccounts {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  static forStateDir(stateDir: string, now?: () => number): TechnicianAccounts {
    return new TechnicianAccounts(path.join(stateDir, TECHNICIANS_FILE), now);
  }

  setPassword(user: string, password: string): void {
    if (!USER_PATTERN.test(user)) throw new RangeError(`technician name "${user}" must be 1 to 64 characters from A-Z a-z 0-9 . _ -`);
    if (password.length < MIN_PASSWORD_LENGTH) throw new RangeError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    const accounts = this.read();
    const salt = randomBytes(16);
    accounts[user] = { salt: salt.toString('base64'), hash: scryptSync(password, salt, HASH_BYTES, SCRYPT).toString('base64') };
    const temporary = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, `${JSON.stringify(accounts, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temporary, this.file);
  }

  /** Return whether the user name belongs to an account. */
  hasAccount(user: string): boolean {
    return Object.hasOwn(this.read(), user);
  }

  /** Return whether failed sign-ins keep this user name locked now. */
  isLocked(user: string): boolean {
    const state = this.failures.get(user);
    return state !== undefined && state.lockedUntil > this.now();
  }

  signIn(user: string, password: string): SignInResult {
    if (this.isLocked(user)) return { ok: false, reason: 'locked' };
    // A lockout that has run out starts the count again, so one more typo does not lock at once.
    const previous = this.failures.get(user);
    const state = previous !== undefined && previous.lockedUntil !== 0 ? undefined : previous;
    const accounts = this.read();
    // Own keys only, so a name such as "constructor" is an unknown user, not a prototype property.
    const account = Object.hasOwn(accounts, user) ? accounts[user] : undefined;
    // An unknown user costs one scrypt too, so timing does not reveal which accounts exist.
    const salt = account === undefined ? Buffer.alloc(16) : Buffer.from(account.salt, 'base64');
    const computed = scryptSync(password, salt, HASH_BYTES, SCRYPT);
    if (account !== undefined && timingSafeEqual(computed, Buffer.from(account.hash, 'base64'))) {
      this.failures.delete(user);
      return { ok: true };
    }
    const count = (state?.count ?? 0) + 1;
    this.failures.set(user, { count, lockedUntil: count >= MAX_FAILED_ATTEMPTS ? this.now() + LOCKOUT_MS : 0 });
    return { ok: false, reason: count >= MAX_FAILED_ATTEMPTS ? 'locked' : 'wrong-password' };
  }

  private read(): Record<string, Account> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, Account>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
  }
}

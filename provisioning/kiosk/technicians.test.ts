import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCKOUT_MS, MAX_FAILED_ATTEMPTS, TechnicianAccounts } from './technicians.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-technicians-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('TechnicianAccounts lockout', () => {
  let clock = 1_000_000;
  const accounts = TechnicianAccounts.forStateDir(dir, () => clock);
  accounts.setPassword('tech.lei', 'correct horse battery');

  it('locks after the last allowed failure', () => {
    for (let attempt = 1; attempt < MAX_FAILED_ATTEMPTS; attempt++) {
      expect(accounts.signIn('tech.lei', 'wrong password')).toEqual({ ok: false, reason: 'wrong-password' });
    }
    expect(accounts.signIn('tech.lei', 'wrong password')).toEqual({ ok: false, reason: 'locked' });
    expect(accounts.signIn('tech.lei', 'correct horse battery')).toEqual({ ok: false, reason: 'locked' });
  });

  it('counts again from zero after the lockout ends', () => {
    clock += LOCKOUT_MS + 1;
    expect(accounts.isLocked('tech.lei')).toBe(false);
    expect(accounts.signIn('tech.lei', 'wrong password')).toEqual({ ok: false, reason: 'wrong-password' });
    expect(accounts.isLocked('tech.lei')).toBe(false);
    expect(accounts.signIn('tech.lei', 'correct horse battery')).toEqual({ ok: true });
  });
});

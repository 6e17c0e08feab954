import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { uuidv7 } from '../../protocol/uuidv7.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { COMMANDS_FILE, CommandLedger, type LedgerEntry } from './ledger.js';

let stateDir: string;
let ledger: CommandLedger;

function entry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    commandId: uuidv7(),
    nonce: `nonce-${Math.random().toString(36).slice(2)}-padding-to-22`,
    name: 'ping',
    operator: 'ops-lee',
    receivedAt: 1_000,
    keepUntil: 10_000,
    resultId: uuidv7(),
    auditEntryId: uuidv7(),
    ...overrides,
  };
}

beforeEach(() => {
  stateDir = makeTempDir('command-ledger');
  ledger = CommandLedger.open(stateDir);
});

afterEach(() => {
  ledger.close();
  fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('CommandLedger', () => {
  it('claims a command once', () => {
    const first = entry();
    expect(ledger.claim(first)).toEqual({ claimed: true });
    expect(ledger.claim(first)).toEqual({ claimed: false, seen: 'command id' });
    expect(ledger.claim({ ...entry(), nonce: first.nonce })).toEqual({ claimed: false, seen: 'nonce' });
    expect(ledger.claim({ ...entry(), commandId: first.commandId })).toEqual({ claimed: false, seen: 'command id' });
    expect(ledger.size()).toBe(1);
  });

  it('remembers claims across reopening', () => {
    const first = entry();
    ledger.claim(first);
    ledger.close();
    ledger = CommandLedger.open(stateDir);
    expect(ledger.claim(first)).toEqual({ claimed: false, seen: 'command id' });
  });

  it('lists unfinished commands until finished', () => {
    const a = entry({ receivedAt: 2_000 });
    const b = entry({ receivedAt: 1_000 });
    ledger.claim(a);
    ledger.claim(b);
    expect(ledger.unfinished()).toEqual([b, a]);
    ledger.finish(b.commandId, 'done');
    expect(ledger.unfinished()).toEqual([a]);
  });

  it('prunes finished rows past their keep time', () => {
    const old = entry({ keepUntil: 5_000 });
    const fresh = entry({ keepUntil: 50_000 });
    const open = entry({ keepUntil: 5_000 });
    for (const row of [old, fresh, open]) ledger.claim(row);
    ledger.finish(old.commandId, 'done');
    ledger.finish(fresh.commandId, 'failed');
    expect(ledger.prune(10_000)).toBe(1);
    expect(ledger.size()).toBe(2);
    // A pruned command's nonce may be claimed again, which the expiry check rules out in practice.
    expect(ledger.claim(old).claimed).toBe(true);
  });

  it('keeps the file with full sync', () => {
    const db = new Database(path.join(stateDir, COMMANDS_FILE), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    db.close();
  });

  it('rejects a ledger of newer firmware', () => {
    const db = new Database(path.join(stateDir, COMMANDS_FILE));
    db.pragma('user_version = 9');
    db.close();
    expect(() => CommandLedger.open(stateDir)).toThrow('schema version 9, newer than this firmware');
  });
});

import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { envelopeTestKeys, eventSealer } from '../../test/support/events.js';
import { captureLogs } from '../../test/support/logs.js';
import { Outbox, type OutboxOptions, type OverflowAlarm } from './outbox.js';

const keys = envelopeTestKeys();
const seal = eventSealer(keys);
const opened: Outbox[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-outbox-'));
  dirs.push(dir);
  return dir;
}

function openOutbox(options: Partial<OutboxOptions> = {}) {
  const logs = captureLogs();
  const outbox = Outbox.open({ stateDir: options.stateDir ?? tempDir(), deviceId: 'gate-01', logger: logs.logger, ...options });
  opened.push(outbox);
  return { outbox, logs };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((outbox) => outbox.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Outbox enqueue', () => {
  it('numbers events from 1 and keeps counting after reopening', async () => {
    const stateDir = tempDir();
    const first = openOutbox({ stateDir }).outbox;
    expect((await first.enqueue({ seal })).seq).toBe(1);
    expect((await first.enqueue({ seal })).seq).toBe(2);
    await first.close();

    const second = openOutbox({ stateDir }).outbox;
    expect(second.depth()).toBe(2);
    expect(second.peekNextSeq()).toBe(3);
    expect((await second.enqueue({ seal })).seq).toBe(3);
  });

  it('gives concurrent enqueues consecutive numbers in drain order', async () => {
    const { outbox } = openOutbox();
    const rows = await Promise.all(Array.from({ length: 25 }, () => outbox.enqueue({ seal })));
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(outbox.pending(100).map((row) => row.seq)).toEqual(rows.map((row) => row.seq));
  });

  it('counts each stream separately', async () => {
    const { outbox } = openOutbox();
    await outbox.enqueue({ seal });
    const audit = await outbox.enqueue({
      stream: 'audit',
      seal: async (seq) => ({ ...(await seal(seq)), topic: 'facegate/v1/mo-taipa-01/gate-01/audit' }),
    });
    expect(audit.seq).toBe(1);
    expect(outbox.peekNextSeq('events')).toBe(2);
  });

  it('commits the caller writes in the same transaction', async () => {
    const { outbox } = openOutbox();
    outbox.transaction((db) => db.exec('CREATE TABLE audit (id TEXT PRIMARY KEY, event_id TEXT NOT NULL)'));
    const row = await outbox.enqueue({
      seal,
      within: (db, pending) => db.prepare('INSERT INTO audit (id, event_id) VALUES (?, ?)').run('a-1', pending.id),
    });
    const audit = outbox.transaction((db) => db.prepare('SELECT event_id FROM audit WHERE id = ?').get('a-1')) as { event_id: string };
    expect(audit.event_id).toBe(row.id);
  });

  it('writes nothing and keeps the number when the caller write fails', async () => {
    const { outbox } = openOutbox();
    await expect(
      outbox.enqueue({
        seal,
        within: () => {
          throw new Error('audit log is read-only');
        },
      }),
    ).rejects.toThrow('audit log is read-only');
    expect(outbox.depth()).toBe(0);
    expect(outbox.pending(10)).toEqual([]);
    expect((await outbox.enqueue({ seal })).seq).toBe(1);
  });

  it('keeps the number when sealing fails', async () => {
    const { outbox } = openOutbox();
    await expect(outbox.enqueue({ seal: () => Promise.reject(new Error('no key')) })).rejects.toThrow('no key');
    expect((await outbox.enqueue({ seal })).seq).toBe(1);
  });

  it('rejects an entry with a bad topic or payload', async () => {
    const { outbox } = openOutbox();
    const bad = async (seq: number) => ({ ...(await seal(seq)), topic: 'facegate/v1/+/gate-01/events' });
    const error = await outbox.enqueue({ seal: bad }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('outbox.invalid_entry');
    const plain = async (seq: number) => ({ ...(await seal(seq)), payload: '{"decision":"granted"}' });
    await expect(outbox.enqueue({ seal: plain })).rejects.toThrow('not a compact JWE');
    expect(outbox.peekNextSeq()).toBe(1);
  });

  it('keeps a committed row when the process is killed right after', () => {
    const stateDir = tempDir();
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/outbox-crash-child.ts', stateDir, '20'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.signal).toBe('SIGKILL');
    const reported = child.stdout.trim().split('\n').map(Number);
    expect(reported).toHaveLength(20);

    const { outbox } = openOutbox({ stateDir });
    expect(outbox.depth()).toBe(20);
    expect(outbox.pending(100).map((row) => row.seq)).toEqual(reported);
    expect(outbox.peekNextSeq()).toBe(21);
  });

  it('uses WAL journal mode', async () => {
    const { outbox } = openOutbox();
    await outbox.enqueue({ seal });
    const reader = new Database(outbox.file, { readonly: true });
    expect(reader.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
  });
});

describe('Outbox delivery bookkeeping', () => {
  it('marks rows delivered and prunes only delivered ones', async () => {
    let now = 1_000_000;
    const { outbox } = openOutbox({ now: () => now });
    const rows = [];
    for (let i = 0; i < 4; i++) rows.push(await outbox.enqueue({ seal }));
    expect(outbox.depth()).toBe(4);

    expect(outbox.markDelivered(rows[0]!.id)).toBe(true);
    expect(outbox.markDelivered(rows[0]!.id)).toBe(false);
    expect(outbox.markDeliveredMany([rows[1]!.id, 'no-such-id'])).toBe(1);
    expect(outbox.depth()).toBe(2);
    expect(outbox.pending(10).map((row) => row.id)).toEqual([rows[2]!.id, rows[3]!.id]);

    now += 60_000;
    expect(outbox.prune(30_000)).toBe(2);
    expect(outbox.prune(0)).toBe(0);
    expect(outbox.depth()).toBe(2);
    expect(outbox.pending(10)).toHaveLength(2);
  });

  it('pages through pending rows after a position', async () => {
    const { outbox } = openOutbox();
    for (let i = 0; i < 5; i++) await outbox.enqueue({ seal });
    const firstPage = outbox.pending(2);
    const secondPage = outbox.pending(2, firstPage.at(-1)!.position);
    expect([...firstPage, ...secondPage].map((row) => row.seq)).toEqual([1, 2, 3, 4]);
  });

  it('counts attempts', async () => {
    const { outbox } = openOutbox();
    const row = await outbox.enqueue({ seal });
    outbox.recordAttempts([row.id, row.id]);
    expect(outbox.pending(1)[0]!.attempts).toBe(2);
  });

  it('reports the oldest pending commit time', async () => {
    let now = 5_000;
    const { outbox } = openOutbox({ now: () => now });
    expect(outbox.oldestPendingCreatedAt()).toBeUndefined();
    await outbox.enqueue({ seal });
    now = 9_000;
    await outbox.enqueue({ seal });
    expect(outbox.oldestPendingCreatedAt()).toBe(5_000);
  });
});

describe('Outbox limits', () => {
  it('still commits at the limit, raises the alarm and logs at error', async () => {
    const { outbox, logs } = openOutbox({ maxUndelivered: 3, hardLimit: 5 });
    const alarms: OverflowAlarm[] = [];
    outbox.onOverflow((alarm) => alarms.push(alarm));
    for (let i = 0; i < 5; i++) await outbox.enqueue({ seal });

    expect(outbox.depth()).toBe(5);
    // Raised once at the crossing; repeats wait for the 60 s interval.
    expect(alarms).toEqual([{ depth: 3, limit: 3, hardLimit: 5 }]);
    expect(logs.errors().filter((line) => /over its limit of 3/.test(line.msg))).toHaveLength(1);
  });

  it('throws outbox.full at the hard limit without writing', async () => {
    const { outbox, logs } = openOutbox({ maxUndelivered: 2, hardLimit: 3 });
    for (let i = 0; i < 3; i++) await outbox.enqueue({ seal });
    let sealed = false;
    const error = await outbox
      .enqueue({
        seal: (seq) => {
          sealed = true;
          return seal(seq);
        },
      })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('outbox.full');
    expect((error as FacegateError).message).toContain('hard limit of 3');
    expect(sealed).toBe(false);
    expect(outbox.depth()).toBe(3);
    expect(logs.errors().some((line) => line.msg.includes('hard limit of 3'))).toBe(true);
  });

  it('repeats the alarm after the interval and clears it when drained', async () => {
    let now = 0;
    const { outbox, logs } = openOutbox({ maxUndelivered: 2, hardLimit: 10, overflowLogIntervalMs: 1_000, now: () => now });
    const alarms: OverflowAlarm[] = [];
    outbox.onOverflow((alarm) => alarms.push(alarm));
    const rows = [];
    for (let i = 0; i < 3; i++) rows.push(await outbox.enqueue({ seal }));
    now = 1_500;
    rows.push(await outbox.enqueue({ seal }));
    expect(alarms.map((alarm) => alarm.depth)).toEqual([2, 4]);

    outbox.markDeliveredMany(rows.map((row) => row.id));
    expect(logs.matching(/back under its limit/)).toHaveLength(1);
  });

  it('throws outbox.disk_full when the file system is short of space', async () => {
    const { outbox } = openOutbox({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER });
    const error = await outbox.enqueue({ seal }).catch((caught: unknown) => caught);
    expect((error as FacegateError).code).toBe('outbox.disk_full');
    expect(outbox.depth()).toBe(0);
  });

  it('rejects contradictory limits', () => {
    expect(() => openOutbox({ maxUndelivered: 10, hardLimit: 5 })).toThrow(RangeError);
  });
});

describe('Outbox damage', () => {
  it('quarantines unreadable rows and keeps going', async () => {
    const { outbox, logs } = openOutbox();
    const good = await outbox.enqueue({ seal });
    // Write damaged rows through a second connection, as a bug or a bad migration could.
    const writer = new Database(outbox.file);
    const insert = writer.prepare('INSERT INTO outbox (id, stream, seq, topic, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('bad-blob', 'events', 2, 'facegate/v1/mo-taipa-01/gate-01/events', Buffer.from([0xde, 0xad]), 1);
    insert.run('bad-topic', 'events', 3, 'not/a/topic', 'a.b.c.d.e', 1);
    insert.run('bad-seq', 'events', 'three', 'facegate/v1/mo-taipa-01/gate-01/events', 'a.b.c.d.e', 1);
    writer.close();
    const after = await outbox.enqueue({ seal });

    expect(outbox.pending(10).map((row) => row.id)).toEqual([good.id, after.id]);
    expect(outbox.quarantinedCount()).toBe(3);
    const quarantined = logs.matching(/moved an unreadable outbox row to quarantine/);
    expect(quarantined.map((line) => line.id)).toEqual(['bad-blob', 'bad-topic', 'bad-seq']);
    expect(quarantined.map((line) => line.reason)).toEqual([
      'payload is binary, not text',
      'topic "not/a/topic" is not a facegate v1 topic',
      'seq is not a positive integer',
    ]);
  });

  it('names the file when it is not a database', () => {
    const stateDir = tempDir();
    fs.writeFileSync(path.join(stateDir, 'outbox.db'), 'this is not sqlite'.repeat(400));
    const error = (() => {
      try {
        openOutbox({ stateDir });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('outbox.open_failed');
    expect((error as FacegateError).message).toContain(path.join(stateDir, 'outbox.db'));
    expect((error as FacegateError).hint).toContain('move');
  });
});

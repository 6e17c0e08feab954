import { afterEach, describe, expect, it } from 'vitest';
import { sealEvent } from '../../protocol/envelope.js';
import { channelTopic } from '../../protocol/topics.js';
import { envelopeTestKeys, sampleEvent } from '../../test/support/events.js';
import { isFacegateError } from '../common/errors.js';
import { GENESIS_HASH, entryHash } from './entry.js';
import { DeviceAuditReader } from './source.js';
import { createAuditFixture, openAsAttacker, recordSamples, rehashEntry, type AuditFixture } from './test-helpers.js';
import { verifyChain } from './verify.js';

const keys = envelopeTestKeys();
let fixture: AuditFixture | undefined;

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function verifyStored(dir: string, publicKey = keys.device.publicKey) {
  const reader = DeviceAuditReader.open(dir);
  try {
    const snapshot = reader.snapshot();
    return verifyChain(snapshot.entries, snapshot.checkpoints, { publicKey });
  } finally {
    reader.close();
  }
}

describe('audit log', () => {
  it('commits the entry in the event transaction', async () => {
    fixture = createAuditFixture();
    const { audit, outbox } = fixture;
    const auditId = audit.newEntryId();
    const event = sampleEvent({ seq: 1, auditEntryId: auditId });
    const row = await outbox.enqueue({
      seal: async () => ({
        id: event.eventId,
        topic: channelTopic(event.siteId, event.deviceId, 'events'),
        payload: await sealEvent(event, { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid }),
      }),
      within: (db, pending) =>
        audit.append(db, { id: auditId, actor: { kind: 'worker', id: 'sub_01J9ZK3M4Q' }, action: 'recognition.decision', object: { kind: 'door', id: 'main' }, outcome: 'success', reason: 'match', eventId: pending.id }),
    });
    expect(row.id).toBe(event.eventId);
    const head = audit.head();
    expect(head.size).toBe(1);
    const [entry] = [...DeviceAuditReader.open(fixture.dir).entries()];
    expect(entry!.entryId).toBe(auditId);
    expect(entry!.eventId).toBe(event.eventId);
    expect(entry!.prevHash).toBe(GENESIS_HASH);
    expect(entryHash(entry as never)).toBe(head.hash);
  });

  it('rolls the entry back with a failed event', async () => {
    fixture = createAuditFixture();
    const { audit, outbox } = fixture;
    recordSamples(fixture, 2);
    const before = audit.head();
    await expect(
      outbox.enqueue({
        seal: async () => ({ id: 'evt-1', topic: channelTopic('mo-taipa-01', 'gate-01', 'status'), payload: '{}' }),
        within: (db) => {
          audit.append(db, { actor: { kind: 'system', id: null }, action: 'door.exit-button', outcome: 'success' });
          throw new Error('door controller failed');
        },
      }),
    ).rejects.toThrow('door controller failed');
    expect(audit.head()).toEqual(before);
    expect(outbox.depth()).toBe(0);
  });

  it('rejects an invalid draft and writes nothing', async () => {
    fixture = createAuditFixture();
    const { audit } = fixture;
    let caught: unknown;
    try {
      audit.record({ actor: { kind: 'technician', id: 'tech wong' }, action: 'technician.sign-in', outcome: 'success', sourceAddress: 'not-an-ip' });
    } catch (error) {
      caught = error;
    }
    expect(isFacegateError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('audit.invalid_entry');
    expect((caught as Error).message).toMatch(/actor\.id/);
    expect((caught as Error).message).toMatch(/sourceAddress: must be an IPv4 or IPv6 address/);
    expect(audit.head().size).toBe(0);
  });

  it('chains entries and verifies with checkpoints', () => {
    fixture = createAuditFixture();
    recordSamples(fixture, 12);
    fixture.audit.createCheckpoint(keys.device.privateKey);
    recordSamples(fixture, 5);
    fixture.audit.createCheckpoint(keys.device.privateKey);
    const result = verifyStored(fixture.dir);
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.entries).toBe(17);
    expect(result.checkpoints).toEqual({ total: 2, verified: 2, unchecked: 0 });
    expect(result.uncheckpointed).toBe(0);
  });

  it('skips a checkpoint when the head has not moved', () => {
    fixture = createAuditFixture();
    expect(fixture.audit.createCheckpoint(keys.device.privateKey)).toBeUndefined();
    recordSamples(fixture, 3);
    expect(fixture.audit.createCheckpoint(keys.device.privateKey)?.size).toBe(3);
    expect(fixture.audit.createCheckpoint(keys.device.privateKey)).toBeUndefined();
  });
});

describe('audit verify on a tampered database', () => {
  async function tampered(edit: (db: ReturnType<typeof openAsAttacker>) => void) {
    fixture = createAuditFixture();
    recordSamples(fixture, 10);
    fixture.audit.createCheckpoint(keys.device.privateKey);
    recordSamples(fixture, 10);
    fixture.audit.createCheckpoint(keys.device.privateKey);
    await fixture.close();
    const db = openAsAttacker(fixture.dir);
    edit(db);
    db.close();
    const result = verifyStored(fixture.dir);
    fixture = undefined;
    return result;
  }

  it('names an edited entry', async () => {
    const result = await tampered((db) => db.prepare("UPDATE audit_entries SET outcome = 'success' WHERE seq = 7").run());
    expect(result.ok).toBe(false);
    expect(result.firstBadSeq).toBe(7);
    expect(result.problems[0]!.kind).toBe('edited');
  });

  it('names a removed entry', async () => {
    const result = await tampered((db) => db.prepare('DELETE FROM audit_entries WHERE seq = 4').run());
    expect(result.firstBadSeq).toBe(4);
    expect(result.problems.map((problem) => problem.kind)).toContain('missing');
  });

  it('names entries removed from the end', async () => {
    const result = await tampered((db) => db.prepare('DELETE FROM audit_entries WHERE seq > 15').run());
    expect(result.firstBadSeq).toBe(16);
    expect(result.problems[0]!.message).toMatch(/entries 16 to 20 were removed/);
  });

  it('names an inserted entry', async () => {
    const result = await tampered((db) => {
      db.prepare(
        `INSERT INTO audit_entries (seq, id, device_id, site_id, wall_time, wall_ms, monotonic_ms, clock_state, actor_kind, action, outcome, detail, prev_hash, hash)
         SELECT seq, id, device_id, site_id, wall_time, wall_ms, monotonic_ms, clock_state, actor_kind, action, 'denied', detail, prev_hash, hash FROM audit_entries WHERE seq = 12`,
      ).run();
    });
    expect(result.firstBadSeq).toBe(12);
    expect(result.problems.map((problem) => problem.kind)).toEqual(expect.arrayContaining(['edited', 'duplicate']));
  });

  it('names an entry rewritten with a new hash', async () => {
    const result = await tampered((db) => {
      db.prepare("UPDATE audit_entries SET actor_id = 'tech.lee' WHERE seq = 3").run();
      rehashEntry(db, 3);
    });
    expect(result.firstBadSeq).toBe(3);
    expect(result.problems[0]!.kind).toBe('rewritten');
  });

  it('catches a rebuilt chain by its checkpoint', async () => {
    const result = await tampered((db) => {
      db.prepare("UPDATE audit_entries SET outcome = 'denied' WHERE seq = 14").run();
      // Rebuild every later link so that the chain itself is consistent again.
      for (let seq = 14; seq <= 20; seq++) {
        const hash = rehashEntry(db, seq);
        db.prepare('UPDATE audit_entries SET prev_hash = ? WHERE seq = ?').run(hash, seq + 1);
        if (seq < 20) rehashEntry(db, seq + 1);
      }
    });
    expect(result.ok).toBe(false);
    expect(result.problems.map((problem) => problem.kind)).toEqual(['checkpoint-mismatch']);
    expect(result.firstBadSeq).toBe(11);
    expect(result.problems[0]!.message).toMatch(/from 11 to 20/);
  });

  it('catches a checkpoint signed by another key', async () => {
    fixture = createAuditFixture();
    recordSamples(fixture, 4);
    fixture.audit.createCheckpoint(envelopeTestKeys().device.privateKey);
    const result = verifyStored(fixture.dir);
    expect(result.ok).toBe(false);
    expect(result.problems[0]!.kind).toBe('checkpoint-signature');
  });

  it('catches reordered lines in an export', () => {
    fixture = createAuditFixture();
    recordSamples(fixture, 6);
    const entries = DeviceAuditReader.open(fixture.dir).snapshot().entries;
    [entries[2], entries[3]] = [entries[3]!, entries[2]!];
    const result = verifyChain(entries, []);
    expect(result.firstBadSeq).toBe(3);
    expect(result.problems.map((problem) => problem.kind)).toEqual(['missing', 'out-of-order']);
  });
});

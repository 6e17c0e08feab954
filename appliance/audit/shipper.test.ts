import { afterEach, describe, expect, it } from 'vitest';
import { envelopeTestKeys } from '../../test/support/events.js';
import { silentLogger } from '../common/logger.js';
import type { OutboxRow } from '../outbox/outbox.js';
import { verifyCheckpoint } from './checkpoint.js';
import { AuditShipper } from './shipper.js';
import { createAuditFixture, openAsAttacker, recordSamples, type AuditFixture } from './test-helpers.js';
import { openAuditMessage, type AuditMessage } from './wire.js';

const keys = envelopeTestKeys();
let fixture: AuditFixture | undefined;
let shipper: AuditShipper | undefined;

afterEach(async () => {
  await shipper?.stop();
  await fixture?.close();
  shipper = undefined;
  fixture = undefined;
});

function createShipper(f: AuditFixture, checkpointEvery = 5): AuditShipper {
  return new AuditShipper({
    audit: f.audit,
    outbox: f.outbox,
    logger: silentLogger(),
    deviceSigningKey: keys.device.privateKey,
    deviceKid: keys.device.kid,
    fleetPublicKey: keys.fleet.publicKey,
    fleetKid: keys.fleet.kid,
    checkpointEvery,
    checkpointIntervalMs: 60_000,
    now: () => f.clock.now,
  });
}

async function openRows(rows: OutboxRow[]): Promise<AuditMessage[]> {
  const resolveDeviceKey = () => ({ publicKey: keys.device.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' });
  return Promise.all(rows.map(async (row) => (await openAuditMessage(row.payload, { fleetPrivateKey: keys.fleet.privateKey, resolveDeviceKey, topic: row.topic })).payload));
}

describe('audit shipper', () => {
  it('ships entries with a checkpoint every N entries', async () => {
    fixture = createAuditFixture();
    shipper = createShipper(fixture, 5);
    for (const count of [5, 5, 2]) {
      recordSamples(fixture, count);
      await shipper.flush();
    }

    const rows = fixture.outbox.pending(100).filter((row) => row.stream === 'audit');
    const messages = await openRows(rows);
    const kinds = messages.map((message) => (message.kind === 'entry' ? `e${message.entry.seq}` : `c${message.checkpoint.size}`));
    expect(kinds).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'c5', 'e6', 'e7', 'e8', 'e9', 'e10', 'c10', 'e11', 'e12']);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    for (const message of messages) {
      if (message.kind === 'checkpoint') expect(verifyCheckpoint(message.checkpoint, keys.device.publicKey).ok).toBe(true);
    }
  });

  it('signs a checkpoint when the interval passes', async () => {
    fixture = createAuditFixture();
    shipper = createShipper(fixture, 100);
    recordSamples(fixture, 3);
    await shipper.flush();
    expect(fixture.audit.lastCheckpoint()).toBeUndefined();
    fixture.clock.now += 61_000;
    await shipper.flush();
    expect(fixture.audit.lastCheckpoint()?.size).toBe(3);
  });

  it('ends on a checkpoint at stop', async () => {
    fixture = createAuditFixture();
    shipper = createShipper(fixture, 100);
    shipper.start();
    recordSamples(fixture, 4);
    await shipper.stop();
    const messages = await openRows(fixture.outbox.pending(100));
    expect(messages.at(-1)?.kind).toBe('checkpoint');
    expect(messages.filter((message) => message.kind === 'entry')).toHaveLength(4);
  });

  it('skips a row edited into invalid values', async () => {
    fixture = createAuditFixture();
    shipper = createShipper(fixture, 100);
    recordSamples(fixture, 4);
    const db = openAsAttacker(fixture.dir);
    db.prepare("UPDATE audit_entries SET outcome = 'hacked' WHERE seq = 2").run();
    db.close();
    await shipper.flush();
    const messages = await openRows(fixture.outbox.pending(100));
    expect(messages.map((message) => (message.kind === 'entry' ? message.entry.seq : -1))).toEqual([1, 3, 4]);
  });
});

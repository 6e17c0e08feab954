import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../appliance/common/logger.js';
import { sealCommandResult, type CommandResult } from '../protocol/command-result.js';
import { parseTopic, type TopicParts } from '../protocol/topics.js';
import { uuidv7 } from '../protocol/uuidv7.js';
import { formatMacauTime } from '../protocol/wall-time.js';
import { envelopeTestKeys } from '../test/support/events.js';
import { postgresUnavailable, startPostgres, type TestPostgres } from '../test/fleet/support/postgres.js';
import { AlertManager } from './alerts.js';
import { CommandResults, commandResultsFor } from './command-results.js';
import { DeviceRegistry, FleetKeyring } from './registry.js';
import { FleetStore } from './store.js';

const SITE = 'mo-taipa-01';
const DEVICE = 'gate-01';
const TOPIC = `facegate/v1/${SITE}/${DEVICE}/cmd-result`;
const keys = envelopeTestKeys();
const rogue = envelopeTestKeys();
const seal = { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid };

function sampleResult(overrides: Partial<CommandResult> = {}): CommandResult {
  return {
    v: 1,
    resultId: uuidv7(),
    commandId: uuidv7(),
    name: 'ping',
    deviceId: DEVICE,
    siteId: SITE,
    outcome: 'done',
    reason: 'pong',
    finishedAt: formatMacauTime(),
    auditEntryId: uuidv7(),
    output: { firmware: '0.1.0', models: { fr_detect: '6c0256ccd316' }, uptimeS: 5 },
    ...overrides,
  };
}

/** Test the receive path the fleet monitor wires for `cmd-result` messages on one store. */
function describeOn(label: string, openStore: () => Promise<{ store: FleetStore; cleanup(): Promise<void> }>, skip?: string) {
  describe.skipIf(skip !== undefined)(`command results on ${label}${skip === undefined ? '' : ` (skipped: ${skip})`}`, () => {
    let store: FleetStore;
    let cleanup: () => Promise<void>;
    let results: CommandResults;
    const stored: CommandResult[] = [];

    beforeAll(async () => {
      ({ store, cleanup } = await openStore());
      const registry = new DeviceRegistry([{ deviceId: DEVICE, siteId: SITE, kid: keys.device.kid, publicKey: keys.device.publicKey }]);
      const keyring = new FleetKeyring([keys.fleet.privateKey]);
      results = new CommandResults({ store, registry, keyring, alerts: new AlertManager(store, silentLogger()), logger: silentLogger(), receiver: 'fleet-test' });
      results.on('result', (result) => stored.push(result));
    }, 60_000);

    afterAll(async () => {
      await results?.stop();
      await cleanup?.();
    });

    async function accept(payload: string, topic = TOPIC): Promise<void> {
      results.accept(parseTopic(topic) as TopicParts, topic, Buffer.from(payload));
      await results.flush();
    }

    it('stores a verified result once', async () => {
      const result = sampleResult();
      const jwe = await sealCommandResult(result, seal);
      await accept(jwe);
      await accept(jwe);
      const rows = await commandResultsFor(store, result.commandId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ result_id: result.resultId, device_id: DEVICE, site_id: SITE, name: 'ping', outcome: 'done', reason: 'pong', audit_entry_id: result.auditEntryId, receiver: 'fleet-test' });
      expect(JSON.parse(rows[0]!.payload)).toEqual(result);
      expect(stored.filter((entry) => entry.resultId === result.resultId)).toHaveLength(1);
    });

    it('keeps each answer to a replayed command', async () => {
      const commandId = uuidv7();
      await accept(await sealCommandResult(sampleResult({ commandId }), seal));
      await accept(await sealCommandResult(sampleResult({ commandId, outcome: 'rejected', reason: 'replayed', output: undefined }), seal));
      const rows = await commandResultsFor(store, commandId);
      expect(rows.map((row) => row.outcome)).toEqual(['done', 'rejected']);
    });

    it('rejects a result signed by an unknown key', async () => {
      const forged = await sealCommandResult(sampleResult(), { ...seal, deviceSigningKey: rogue.device.privateKey, deviceKid: rogue.device.kid });
      const before = (await store.counts()).rejections;
      await accept(forged);
      expect((await store.counts()).rejections).toBe(before + 1);
      const [rejection] = await store.db.query<{ kind: string; topic: string }>('SELECT kind, topic FROM rejections ORDER BY received_at DESC LIMIT 1');
      expect(rejection).toEqual({ kind: 'unknown-signer', topic: TOPIC });
      const alerts = await store.alerts();
      expect(alerts.some((alert) => alert.kind === 'envelope.rejected' && alert.message.includes('unknown-signer'))).toBe(true);
    });

    it('rejects a result on another device topic', async () => {
      const result = sampleResult();
      await accept(await sealCommandResult(result, seal), `facegate/v1/${SITE}/gate-02/cmd-result`);
      expect(await commandResultsFor(store, result.commandId)).toEqual([]);
      const [rejection] = await store.db.query<{ kind: string }>('SELECT kind FROM rejections ORDER BY received_at DESC LIMIT 1');
      expect(rejection!.kind).toBe('mismatch');
    });

    it('rejects garbage', async () => {
      const before = (await store.counts()).rejections;
      await accept('not a JWE');
      expect((await store.counts()).rejections).toBe(before + 1);
    });
  });
}

describeOn('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-command-results-'));
  const store = await FleetStore.open({ sqlite: path.join(dir, 'fleet.db') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

const unavailable = postgresUnavailable();
describeOn(
  'PostgreSQL',
  async () => {
    const postgres: TestPostgres = await startPostgres();
    const store = await FleetStore.open({ postgres: postgres.url });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await postgres.stop();
      },
    };
  },
  unavailable,
);

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { CompactSign } from 'jose';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/log.js';
import { silentLogger } from '../common/logger.js';
import { ConsentService } from '../consent/service.js';
import { ConsentStore } from '../consent/store.js';
import { recordConsentForTests } from '../consent/testing.js';
import type { EventKeys } from '../daemon/event-recorder.js';
import { randomUnitVector, seededRandom } from '../gallery/random-vectors.js';
import { Gallery } from '../gallery/store.js';
import { Outbox } from '../outbox/outbox.js';
import { signCommand, type CommandPayload } from '../../protocol/command.js';
import { openCommandResult, type CommandResult } from '../../protocol/command-result.js';
import { deviceTopics } from '../../protocol/topics.js';
import { formatMacauTime } from '../../protocol/wall-time.js';
import { operatorTestKey, readAuditEntries, sampleCommand, type StoredAuditEntry } from '../../test/support/commands.js';
import { envelopeTestKeys, eventSealer } from '../../test/support/events.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { captureLogs } from '../../test/support/logs.js';
import { pingHandler } from './handlers/ping.js';
import { reloadGalleryHandler } from './handlers/reload-gallery.js';
import { withdrawConsentHandler } from './handlers/withdraw-consent.js';
import { CommandLedger } from './ledger.js';
import { CommandReceiver, type CommandReceiverOptions } from './receiver.js';
import { CommandRegistry, type CommandHandler } from './registry.js';

const SITE = 'mo-taipa-01';
const DEVICE = 'gate-01';
const topics = deviceTopics(SITE, DEVICE);
const envelopeKeys = envelopeTestKeys();
const keys: EventKeys = { deviceSigningKey: envelopeKeys.device.privateKey, deviceKid: envelopeKeys.device.kid, fleetPublicKey: envelopeKeys.fleet.publicKey, fleetKid: envelopeKeys.fleet.kid };
const lee = operatorTestKey('ops-lee');
const operators = (kid: string) => (kid === lee.kid ? { name: lee.name, publicKey: lee.publicKey } : undefined);
const random = seededRandom(11);

/** A stand-in for the publisher's subscription, which hands messages to the receiver as the broker would. */
class FakeMqtt {
  readonly topics = topics;
  readonly broker = { url: 'mqtts://127.0.0.1:8883', host: '127.0.0.1', port: 8883 };
  handler: ((topic: string, payload: Buffer) => void) | undefined;
  filters: string[] = [];
  unsubscribed = 0;

  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void {
    this.filters.push(filter);
    this.handler = handler;
    return () => {
      this.unsubscribed += 1;
      this.handler = undefined;
    };
  }
}

interface Device {
  stateDir: string;
  outbox: Outbox;
  audit: AuditLog;
  gallery: Gallery;
  consentStore: ConsentStore;
  mqtt: FakeMqtt;
  receiver: CommandReceiver;
  reloads: number;
  close(): Promise<void>;
}

async function createDevice(
  options: { handlers?: CommandHandler[]; receiver?: Partial<CommandReceiverOptions>; stateDir?: string; outbox?: { maxUndelivered: number; hardLimit: number } } = {},
): Promise<Device> {
  const stateDir = options.stateDir ?? makeTempDir('command-receiver');
  const logger = silentLogger();
  const outbox = Outbox.open({ stateDir, deviceId: DEVICE, logger, ...options.outbox });
  const audit = AuditLog.attach({ outbox, siteId: SITE, logger });
  const gallery = Gallery.open({ stateDir, logger });
  const consentStore = ConsentStore.open({ stateDir, logger });
  const mqtt = new FakeMqtt();
  const device = { stateDir, outbox, audit, gallery, consentStore, mqtt, reloads: 0 } as Device;
  const reload = () => {
    device.reloads += 1;
    return { templates: gallery.listSubjects().reduce((sum, subject) => sum + subject.templates, 0), subjects: gallery.listSubjects().length, rejected: 0 };
  };
  const consent = new ConsentService({
    store: consentStore,
    gallery,
    audit,
    deviceKey: keys.deviceSigningKey,
    deviceId: DEVICE,
    siteId: SITE,
    parties: { controller: 'Test Employer Lda.', contact: 'privacy@example.test', retentionDays: 30 },
    logger,
  });
  const handlers = new CommandRegistry(
    options.handlers ?? [
      withdrawConsentHandler({ consent, reload }),
      reloadGalleryHandler(reload),
      pingHandler({ firmware: '0.1.0-test', models: { fr_detect: '6c0256ccd316' }, uptimeS: () => 42 }),
    ],
  );
  device.receiver = new CommandReceiver({ mqtt, outbox, audit, keys, stateDir, operators, handlers, skewMs: 120_000, maxLifetimeMs: 86_400_000, logger, ...options.receiver });
  await device.receiver.start();
  device.close = async () => {
    await device.receiver.stop();
    consentStore.close();
    gallery.close();
    await outbox.close();
  };
  return device;
}

function enrol(gallery: Gallery, subjectId: string): void {
  gallery.addSubject(subjectId);
  gallery.addTemplates(subjectId, [randomUnitVector(random, gallery.dimension)], { modelVersion: 'test-model', quality: [1] });
}

/** Deliver one message as the broker would and wait until the receiver has handled it. */
async function deliver(device: Device, token: string | Buffer, name = 'ping'): Promise<void> {
  device.mqtt.handler!(topics.command(name), Buffer.isBuffer(token) ? token : Buffer.from(token));
  await device.receiver.idle();
}

function sign(overrides: Partial<CommandPayload> = {}, key = lee.privateKey): Promise<string> {
  return signCommand(sampleCommand({ siteId: SITE, deviceId: DEVICE, operator: 'ops-lee', ...overrides }), key);
}

async function results(device: Device): Promise<Array<CommandResult & { stream: string }>> {
  const rows = device.outbox.pending(10_000).filter((row) => row.topic === topics.cmdResult);
  const resolveDeviceKey = (kid: string) => (kid === keys.deviceKid ? { publicKey: envelopeKeys.device.publicKey, deviceId: DEVICE, siteId: SITE } : undefined);
  return Promise.all(rows.map(async (row) => ({ ...(await openCommandResult(row.payload, { fleetPrivateKey: envelopeKeys.fleet.privateKey, resolveDeviceKey, topic: row.topic })).payload, stream: row.stream })));
}

function auditEntries(device: Device): StoredAuditEntry[] {
  return readAuditEntries(device.stateDir);
}

/** Outbox limits under which the one undelivered row fullOutboxDir leaves makes every enqueue throw `outbox.full`. */
const FULL_OUTBOX = { maxUndelivered: 1, hardLimit: 1 };

/** Create a state folder with one undelivered event in its outbox, as after an outage. */
async function fullOutboxDir(): Promise<string> {
  const stateDir = makeTempDir('command-receiver');
  const outbox = Outbox.open({ stateDir, deviceId: DEVICE, logger: silentLogger() });
  await outbox.enqueue({ seal: eventSealer(envelopeKeys) });
  await outbox.close();
  return stateDir;
}

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

describe('CommandReceiver', () => {
  let device: Device;

  beforeAll(async () => {
    device = await createDevice();
    await recordConsentForTests(device.stateDir, ['W-0001', 'W-0002']);
    enrol(device.gallery, 'W-0001');
    enrol(device.gallery, 'W-0002');
  });

  afterAll(async () => {
    await device.close();
    fs.rmSync(device.stateDir, { recursive: true, force: true });
  });

  it('subscribes to its own commands', () => {
    expect(device.mqtt.filters).toEqual([`facegate/v1/${SITE}/${DEVICE}/cmd/#`]);
  });

  it('answers a ping with its versions', async () => {
    const token = await sign();
    const commandId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).commandId as string;
    await deliver(device, token);

    const result = (await results(device)).find((candidate) => candidate.commandId === commandId);
    expect(result).toMatchObject({ name: 'ping', outcome: 'done', reason: 'pong', deviceId: DEVICE, siteId: SITE, stream: 'cmd-result' });
    expect(result!.output).toEqual({ firmware: '0.1.0-test', models: { fr_detect: '6c0256ccd316' }, uptimeS: 42 });

    const entry = auditEntries(device).find((candidate) => candidate.entryId === result!.auditEntryId);
    expect(entry).toMatchObject({
      action: 'command.ping',
      outcome: 'success',
      reason: 'pong',
      actor: { kind: 'operator', id: 'ops-lee' },
      object: { kind: 'command', id: commandId },
      sourceAddress: '127.0.0.1',
    });
    expect(entry!.detail).toMatchObject({ name: 'ping', kid: lee.kid, source: 'broker', broker: '127.0.0.1', firmware: '0.1.0-test' });
  });

  it('withdraws consent and rebuilds the matcher', async () => {
    const reloadsBefore = device.reloads;
    const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'withdraw-consent', args: { subject: 'W-0001', reason: 'request by e-mail' } });
    await deliver(device, await signCommand(command, lee.privateKey), 'withdraw-consent');

    const result = (await results(device)).find((candidate) => candidate.commandId === command.commandId)!;
    expect(result).toMatchObject({ outcome: 'done', reason: 'consent-withdrawn' });
    expect(device.gallery.hasSubject('W-0001')).toBe(false);
    expect(device.gallery.hasSubject('W-0002')).toBe(true);
    expect(device.reloads).toBe(reloadsBefore + 1);
    const output = result.output as { consentId: string; receiptSha256: string; templatesDestroyed: number };
    expect(output.templatesDestroyed).toBe(1);
    const withdrawn = device.consentStore.get(output.consentId)!;
    expect(withdrawn.withdrawalMethod).toBe('remote-command');
    expect(output.receiptSha256).toBe(createHash('sha256').update(withdrawn.withdrawalReceipt!).digest('hex'));

    const entries = auditEntries(device);
    const commandEntry = entries.find((entry) => entry.entryId === result.auditEntryId)!;
    expect(commandEntry).toMatchObject({ action: 'command.withdraw-consent', outcome: 'success', actor: { kind: 'operator', id: 'ops-lee' } });
    expect(commandEntry.detail).toMatchObject({ subject: 'W-0001', withdrawReason: 'request by e-mail', consentId: output.consentId, templatesDestroyed: 1 });
    const consentEntry = entries.find((entry) => entry.action === 'consent.withdraw')!;
    expect(consentEntry).toMatchObject({ actor: { kind: 'operator', id: 'ops-lee' }, object: { kind: 'subject', id: 'W-0001' }, sourceAddress: '127.0.0.1' });
    expect(consentEntry.detail).toMatchObject({ method: 'remote-command' });
  });

  it('fails a withdrawal without consent in force', async () => {
    const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'withdraw-consent', args: { subject: 'W-0001', reason: 'sent twice' } });
    await deliver(device, await signCommand(command, lee.privateKey), 'withdraw-consent');
    const result = (await results(device)).find((candidate) => candidate.commandId === command.commandId)!;
    expect(result).toMatchObject({ outcome: 'failed', reason: 'no-consent' });
    expect(result.output).toBeUndefined();
    expect(auditEntries(device).find((entry) => entry.entryId === result.auditEntryId)).toMatchObject({ action: 'command.withdraw-consent', outcome: 'failure', reason: 'no-consent' });
  });

  it('reloads the gallery', async () => {
    const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'reload-gallery' });
    await deliver(device, await signCommand(command, lee.privateKey), 'reload-gallery');
    const result = (await results(device)).find((candidate) => candidate.commandId === command.commandId)!;
    expect(result).toMatchObject({ outcome: 'done', reason: 'gallery-reloaded', output: { templates: 1, subjects: 1, rejected: 0 } });
  });

  const now = Date.now();
  const stranger = operatorTestKey('ops-lee');
  const cases: Array<[string, () => Promise<{ token: string; topicName?: string; commandId?: string }>, string, boolean]> = [
    ['an altered payload', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE });
      const [header, , signature] = (await signCommand(command, lee.privateKey)).split('.');
      const altered = Buffer.from(JSON.stringify({ ...command, name: 'reload-gallery' })).toString('base64url');
      return { token: `${header}.${altered}.${signature}`, commandId: command.commandId };
    }, 'bad-signature', false],
    ['an unknown operator key', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE });
      return { token: await signCommand(command, stranger.privateKey), commandId: command.commandId };
    }, 'unknown-key', false],
    ['an expired command', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, issuedAt: formatMacauTime(now - 20 * 60_000), expiresAt: formatMacauTime(now - 10 * 60_000) });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId };
    }, 'expired', true],
    ['a command from the future', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, issuedAt: formatMacauTime(now + 10 * 60_000), expiresAt: formatMacauTime(now + 20 * 60_000) });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId };
    }, 'not-yet-valid', true],
    ['another device', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: 'gate-02' });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId };
    }, 'wrong-device', true],
    ['another name than the topic', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'ping' });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId, topicName: 'reload-gallery' };
    }, 'name-mismatch', true],
    ['another operator name', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, operator: 'ops-chan' });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId };
    }, 'operator-mismatch', false],
    ['an unknown command', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'reboot' });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId, topicName: 'reboot' };
    }, 'unknown-command', true],
    ['bad arguments', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'withdraw-consent', args: { subject: 'W 0002', reason: 'x' } });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId, topicName: 'withdraw-consent' };
    }, 'invalid-arguments', true],
    ['an extra argument', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, args: { verbose: 'yes' } });
      return { token: await signCommand(command, lee.privateKey), commandId: command.commandId };
    }, 'invalid-arguments', true],
    ['another token type', async () => {
      const command = sampleCommand({ siteId: SITE, deviceId: DEVICE });
      const token = await new CompactSign(Buffer.from(JSON.stringify(command))).setProtectedHeader({ alg: 'EdDSA', kid: lee.kid, typ: 'facegate-audit+jwt' }).sign(lee.privateKey);
      return { token, commandId: command.commandId };
    }, 'bad-header', false],
  ];

  it.each(cases)('rejects %s', async (_, build, reason, verified) => {
    const { token, topicName, commandId } = await build();
    const name = topicName ?? 'ping';
    await deliver(device, token, name);

    const result = (await results(device)).find((candidate) => candidate.commandId === commandId);
    expect(result, 'a rejected result').toMatchObject({ name, outcome: 'rejected', reason });
    expect(result!.output).toBeUndefined();
    const entry = auditEntries(device).find((candidate) => candidate.entryId === result!.auditEntryId)!;
    expect(entry).toMatchObject({ outcome: 'denied', reason, object: { kind: 'command', id: commandId }, sourceAddress: '127.0.0.1' });
    expect(entry.action).toBe(name === 'reboot' ? 'command.received' : `command.${name}`);
    expect(entry.actor).toEqual({ kind: 'operator', id: verified ? 'ops-lee' : null });
    if (!verified && reason !== 'bad-header') expect(entry.detail.claimedOperator).toBeDefined();
  });

  it('rejects a replayed command id', async () => {
    const token = await sign();
    await deliver(device, token);
    await deliver(device, token);
    const commandId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).commandId as string;
    const answers = (await results(device)).filter((candidate) => candidate.commandId === commandId);
    expect(answers.map((answer) => [answer.outcome, answer.reason])).toEqual([['done', 'pong'], ['rejected', 'replayed']]);
    expect(new Set(answers.map((answer) => answer.resultId)).size).toBe(2);
    const entry = auditEntries(device).find((candidate) => candidate.entryId === answers[1]!.auditEntryId)!;
    expect(entry).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'replayed', actor: { kind: 'operator', id: 'ops-lee' } });
  });

  it('rejects a replayed nonce under a new id', async () => {
    const first = sampleCommand({ siteId: SITE, deviceId: DEVICE });
    const second = sampleCommand({ siteId: SITE, deviceId: DEVICE, nonce: first.nonce });
    await deliver(device, await signCommand(first, lee.privateKey));
    await deliver(device, await signCommand(second, lee.privateKey));
    const answer = (await results(device)).find((candidate) => candidate.commandId === second.commandId);
    expect(answer).toMatchObject({ outcome: 'rejected', reason: 'replayed' });
  });

  it.each([
    ['garbage text', Buffer.from('{"hello": "world"}')],
    ['binary bytes', Buffer.from([0xff, 0xfe, 0x00, 0x80])],
    ['an empty message', Buffer.alloc(0)],
  ])('audits %s without a result', async (_, payload) => {
    const resultsBefore = (await results(device)).length;
    const entriesBefore = auditEntries(device).length;
    await deliver(device, payload);
    expect((await results(device)).length).toBe(resultsBefore);
    const entries = auditEntries(device);
    expect(entries).toHaveLength(entriesBefore + 1);
    expect(entries.at(-1)).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'malformed', actor: { kind: 'operator', id: null }, object: { kind: 'command', id: null } });
  });

  it('audits a command on a deeper topic', async () => {
    device.mqtt.handler!(`${topics.prefix}/cmd/ping/extra`, Buffer.from(await sign()));
    await device.receiver.idle();
    const entry = auditEntries(device).at(-1)!;
    expect(entry).toMatchObject({ action: 'command.received', reason: 'malformed' });
    expect(entry.detail.topic).toBe(`${topics.prefix}/cmd/ping/extra`);
  });
});

describe('CommandReceiver limits and recovery', () => {
  let device: Device | undefined;

  afterEach(async () => {
    await device?.close();
    if (device !== undefined) fs.rmSync(device.stateDir, { recursive: true, force: true });
    device = undefined;
  });

  it('audits rejections at a bounded rate', async () => {
    device = await createDevice({ receiver: { rejectionRate: { perSecond: 0.001, burst: 2 } } });
    for (let i = 0; i < 5; i++) await deliver(device, `garbage ${i}`);
    expect(auditEntries(device).filter((entry) => entry.reason === 'malformed')).toHaveLength(2);
    // Accepted commands are never limited.
    await deliver(device, await sign());
    expect((await results(device)).map((result) => result.outcome)).toEqual(['done']);
  });

  it('reports a throwing handler as failed', async () => {
    const broken: CommandHandler<Record<string, never>> = {
      name: 'ping',
      action: 'command.ping',
      args: z.strictObject({}),
      run: async () => {
        throw new Error('sensor\nbus gone');
      },
    };
    device = await createDevice({ handlers: [broken] });
    await deliver(device, await sign());
    expect((await results(device))[0]).toMatchObject({ outcome: 'failed', reason: 'handler-error' });
    expect(auditEntries(device).at(-1)).toMatchObject({ action: 'command.ping', outcome: 'failure', detail: expect.objectContaining({ error: 'sensor bus gone' }) });
    // The daemon goes on taking commands.
    await deliver(device, await sign());
    expect(await results(device)).toHaveLength(2);
  });

  it('reports a command interrupted by a stop', async () => {
    const stateDir = makeTempDir('command-receiver');
    const ledger = CommandLedger.open(stateDir);
    const base = { nonce: 'n'.repeat(22), name: 'ping', operator: 'ops-lee', receivedAt: Date.now(), keepUntil: Date.now() + 86_400_000 };
    const interrupted = { ...base, commandId: sampleCommand().commandId, resultId: sampleCommand().commandId, auditEntryId: sampleCommand().commandId };
    const answered = { ...base, nonce: 'm'.repeat(22), commandId: sampleCommand().commandId, resultId: sampleCommand().commandId, auditEntryId: sampleCommand().commandId };
    ledger.claim(interrupted);
    ledger.claim(answered);
    ledger.close();
    // The finished command's entry committed before the stop; only its ledger update was lost.
    const outbox = Outbox.open({ stateDir, deviceId: DEVICE, logger: silentLogger() });
    AuditLog.attach({ outbox, siteId: SITE, logger: silentLogger() }).record({ id: answered.auditEntryId, actor: { kind: 'operator', id: 'ops-lee' }, action: 'command.ping', outcome: 'success', reason: 'pong' });
    await outbox.close();

    device = await createDevice({ stateDir });
    const answers = await results(device);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ commandId: interrupted.commandId, resultId: interrupted.resultId, auditEntryId: interrupted.auditEntryId, outcome: 'failed', reason: 'interrupted' });
    expect(auditEntries(device).find((entry) => entry.entryId === interrupted.auditEntryId)).toMatchObject({ action: 'command.ping', outcome: 'failure', actor: { id: 'ops-lee' } });

    await device.receiver.stop();
    const reopened = CommandLedger.open(stateDir);
    expect(reopened.unfinished()).toEqual([]);
    expect(reopened.claim({ ...answered, nonce: 'z'.repeat(22) })).toEqual({ claimed: false, seen: 'command id' });
    reopened.close();
  });

  it('keeps no oversized message while it waits', async () => {
    let release: () => void = () => {};
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const blocking: CommandHandler<Record<string, never>> = {
      name: 'ping',
      action: 'command.ping',
      args: z.strictObject({}),
      run: async () => {
        await new Promise<void>((resolve) => {
          release = resolve;
          running();
        });
        return { outcome: 'done', reason: 'pong' };
      },
    };
    device = await createDevice({ handlers: [blocking] });
    device.mqtt.handler!(topics.command('ping'), Buffer.from(await sign()));
    await started;

    // Mosquitto forwards payloads of up to 268,435,455 bytes by default, and 64 such messages queued would exhaust a gate's memory.
    const sent = (() => {
      const huge = Buffer.alloc(32 * 1024 * 1024, 'A');
      device!.mqtt.handler!(topics.command('ping'), huge);
      return new WeakRef(huge);
    })();
    // A WeakRef keeps its target alive until the current job ends, so collect after the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    const collected = sent.deref() === undefined;
    release();
    await device.receiver.idle();
    expect(collected, 'the 32 MB message was garbage collected while it waited').toBe(true);
    const entry = auditEntries(device).at(-1)!;
    expect(entry).toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'malformed', object: { kind: 'command', id: null } });
  });

  it('audits a command while the outbox is full', async () => {
    device = await createDevice({ stateDir: await fullOutboxDir(), outbox: FULL_OUTBOX });
    const command = sampleCommand({ siteId: SITE, deviceId: DEVICE });
    await deliver(device, await signCommand(command, lee.privateKey));

    const entry = auditEntries(device).find((candidate) => candidate.object?.id === command.commandId);
    expect(entry, 'the audit entry of the command').toMatchObject({ action: 'command.ping', outcome: 'success', reason: 'pong', actor: { kind: 'operator', id: 'ops-lee' } });
    expect(entry!.detail).toMatchObject({ resultQueued: false });
  });

  it('audits a rejection while the outbox is full', async () => {
    device = await createDevice({ stateDir: await fullOutboxDir(), outbox: FULL_OUTBOX });
    const command = sampleCommand({ siteId: SITE, deviceId: 'gate-02' });
    await deliver(device, await signCommand(command, lee.privateKey));

    const entry = auditEntries(device).find((candidate) => candidate.object?.id === command.commandId);
    expect(entry, 'the audit entry of the rejection').toMatchObject({ action: 'command.ping', outcome: 'denied', reason: 'wrong-device' });
  });

  it('starts with an interrupted command and a full outbox', async () => {
    const stateDir = await fullOutboxDir();
    const ledger = CommandLedger.open(stateDir);
    const interrupted = { commandId: sampleCommand().commandId, nonce: 'n'.repeat(22), name: 'ping', operator: 'ops-lee', receivedAt: Date.now(), keepUntil: Date.now() + 86_400_000, resultId: sampleCommand().commandId, auditEntryId: sampleCommand().commandId };
    ledger.claim(interrupted);
    ledger.close();

    device = await createDevice({ stateDir, outbox: FULL_OUTBOX });
    expect(auditEntries(device).find((entry) => entry.entryId === interrupted.auditEntryId)).toMatchObject({ action: 'command.ping', outcome: 'failure', reason: 'interrupted' });
    // The receiver still takes commands.
    await deliver(device, await sign());
    expect(auditEntries(device).at(-1)).toMatchObject({ action: 'command.ping', outcome: 'success' });
  });

  it('rejects a replay after a restart', async () => {
    device = await createDevice();
    const token = await sign();
    await deliver(device, token);
    const stateDir = device.stateDir;
    await device.close();

    device = await createDevice({ stateDir });
    await deliver(device, token);
    expect((await results(device)).map((result) => [result.outcome, result.reason])).toEqual([['done', 'pong'], ['rejected', 'replayed']]);
  });

  it('logs no worker id', async () => {
    // The gate's logs name workers by pseudonym at most, while the audit entry keeps the worker id.
    const logs = captureLogs();
    device = await createDevice({ receiver: { logger: logs.logger } });
    const command = sampleCommand({ siteId: SITE, deviceId: DEVICE, name: 'withdraw-consent', args: { subject: 'W-0404', reason: 'request by e-mail' } });
    await deliver(device, await signCommand(command, lee.privateKey), 'withdraw-consent');

    expect(auditEntries(device).at(-1)).toMatchObject({ action: 'command.withdraw-consent', reason: 'no-consent', detail: expect.objectContaining({ subject: 'W-0404' }) });
    expect(logs.lines().length).toBeGreaterThan(0);
    expect(logs.lines().filter((line) => JSON.stringify(line).includes('W-0404'))).toEqual([]);
  });

  it('stops listening at stop', async () => {
    device = await createDevice();
    const handler = device.mqtt.handler!;
    await device.receiver.stop();
    expect(device.mqtt.unsubscribed).toBe(1);
    handler(topics.command('ping'), Buffer.from(await sign()));
    await device.receiver.idle();
    expect(await results(device)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { envelopeTestKeys } from '../test/support/events.js';
import { commandResult, openCommandResult, sealCommandResult, type CommandResult } from './command-result.js';
import { EnvelopeMismatchError, EnvelopeSchemaError } from './envelope-errors.js';
import { sealEvent } from './envelope.js';
import { uuidv7 } from './uuidv7.js';
import { formatMacauTime } from './wall-time.js';
import { sampleEvent } from '../test/support/events.js';

const SITE = 'mo-taipa-01';
const DEVICE = 'gate-01';
const TOPIC = `facegate/v1/${SITE}/${DEVICE}/cmd-result`;

function sampleResult(overrides: Partial<CommandResult> = {}): CommandResult {
  return {
    v: 1,
    resultId: uuidv7(),
    commandId: uuidv7(),
    name: 'withdraw-consent',
    deviceId: DEVICE,
    siteId: SITE,
    outcome: 'done',
    reason: 'consent-withdrawn',
    finishedAt: formatMacauTime(),
    auditEntryId: uuidv7(),
    output: { consentId: '3b241101-e2bb-4255-8caf-4136c566a962', receiptSha256: 'a'.repeat(64), templatesDestroyed: 3 },
    ...overrides,
  };
}

const keys = envelopeTestKeys();
const seal = { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid };
const resolveDeviceKey = (kid: string) => (kid === keys.device.kid ? { publicKey: keys.device.publicKey, deviceId: DEVICE, siteId: SITE } : undefined);
const open = { fleetPrivateKey: keys.fleet.privateKey, resolveDeviceKey, topic: TOPIC };

describe('command result schema', () => {
  it.each([
    ['withdraw-consent', sampleResult()],
    ['reload-gallery', sampleResult({ name: 'reload-gallery', reason: 'gallery-reloaded', output: { templates: 9, subjects: 3, rejected: 0 } })],
    ['ping', sampleResult({ name: 'ping', reason: 'pong', output: { firmware: '0.1.0', models: { fr_detect: '6c0256ccd316' }, uptimeS: 12 } })],
    ['a rejection without output', sampleResult({ name: 'Reboot', outcome: 'rejected', reason: 'unknown-command', output: undefined })],
  ])('accepts %s', (_, result) => {
    expect(commandResult.safeParse(result).success).toBe(true);
  });

  it.each([
    ['an output on a rejection', { outcome: 'rejected', reason: 'expired' }],
    ['the output of another command', { name: 'ping' }],
    ['an output for an unknown command', { name: 'reboot' }],
    ['an extra output field', { output: { consentId: '3b241101-e2bb-4255-8caf-4136c566a962', receiptSha256: 'a'.repeat(64), templatesDestroyed: 3, receipt: 'eyJ' } }],
    ['the whole receipt instead of its hash', { output: { consentId: '3b241101-e2bb-4255-8caf-4136c566a962', receiptSha256: 'eyJhbGciOiJFZERTQSJ9.e30.sig', templatesDestroyed: 3 } }],
    ['an unknown outcome', { outcome: 'maybe' }],
    ['a reason with spaces', { reason: 'not found' }],
    ['an embedding in the reason', { reason: Buffer.from(Float32Array.from({ length: 512 }, Math.random).buffer).toString('base64') }],
    ['an image key', { image: 'data:image/jpeg;base64,AAAA' }],
  ])('rejects %s', (_, change) => {
    expect(commandResult.safeParse({ ...sampleResult(), ...change }).success).toBe(false);
  });
});

describe('sealCommandResult and openCommandResult', () => {
  it('round-trips a result', async () => {
    const result = sampleResult();
    const opened = await openCommandResult(await sealCommandResult(result, seal), open);
    expect(opened.payload).toEqual(result);
    expect(opened.signerKid).toBe(keys.device.kid);
  });

  it('rejects sealing an invalid result', async () => {
    await expect(sealCommandResult({ ...sampleResult(), crop: 'x' } as CommandResult, seal)).rejects.toBeInstanceOf(EnvelopeSchemaError);
  });

  it('rejects a result of another device', async () => {
    const jwe = await sealCommandResult(sampleResult({ deviceId: 'gate-02' }), seal);
    await expect(openCommandResult(jwe, { ...open, topic: undefined })).rejects.toBeInstanceOf(EnvelopeMismatchError);
  });

  it('rejects a result on another topic', async () => {
    const jwe = await sealCommandResult(sampleResult(), seal);
    await expect(openCommandResult(jwe, { ...open, topic: `facegate/v1/${SITE}/${DEVICE}/events` })).rejects.toThrow('arrived on topic');
  });

  it('rejects an event envelope on the result channel', async () => {
    const event = await sealEvent(sampleEvent({ deviceId: DEVICE, siteId: SITE }), seal);
    await expect(openCommandResult(event, open)).rejects.toThrow('expected typ "facegate-command-result"');
  });
});

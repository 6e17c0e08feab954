import { CompactEncrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAuditMessage } from '../appliance/audit/wire.js';
import { envelopeTestKeys, sampleEvent } from '../test/support/events.js';
import { EnvelopeError } from './envelope-errors.js';
import { ENVELOPE_TYPES, sealEvent, type RegisteredSigner } from './envelope.js';
import { openJson } from './envelope-open.js';

/**
 * Header values an attacker controls, nested so deep that JSON.stringify throws RangeError. Anyone
 * who may publish on a device's `audit` topic sets the outer JWE header, and anyone who has the
 * fleet public key can encrypt an inner JWS header of their choice. Every failure must still be an
 * EnvelopeError with a short message, so the fleet records a rejection of the right kind.
 */

const keys = envelopeTestKeys('X25519');
const registry = new Map<string, RegisteredSigner>([[keys.device.kid, { publicKey: keys.device.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' }]]);
const AUDIT_TOPIC = 'facegate/v1/mo-taipa-01/gate-01/audit';
/** Deep enough to exhaust JSON.stringify's stack on Node 20, and short enough for the audit size limit. */
const DEPTH = 5000;
const nested = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;

async function sealedParts(): Promise<string[]> {
  const sealed = await sealEvent(sampleEvent(), { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid });
  return sealed.split('.');
}

/** Replace the outer protected header with raw JSON text, keeping the other four parts. */
function withHeaderText(parts: string[], json: string): string {
  return [Buffer.from(json).toString('base64url'), ...parts.slice(1)].join('.');
}

async function openError(open: () => Promise<unknown>): Promise<unknown> {
  return open().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('node:crypto opener with deeply nested header values', () => {
  const typ = ENVELOPE_TYPES.audit;
  const jwe = `"alg":"ECDH-ES+A256KW","enc":"A256GCM","typ":"${typ}","cty":"JWT"`;

  it.each([
    ['typ', `{"typ":${nested}}`, 'format'],
    ['cty', `{"typ":"${typ}","cty":${nested}}`, 'format'],
    ['kid', `{${jwe},"kid":${nested}}`, 'decryption'],
    ['crit', `{${jwe},"kid":"k","crit":${nested}}`, 'decryption'],
    ['zip', `{${jwe},"kid":"k","zip":${nested}}`, 'decryption'],
    ['alg', `{"typ":"${typ}","cty":"JWT","kid":"k","alg":${nested}}`, 'decryption'],
    ['enc', `{"typ":"${typ}","cty":"JWT","kid":"k","alg":"ECDH-ES+A256KW","enc":${nested}}`, 'decryption'],
    ['epk', `{${jwe},"kid":"k","epk":${nested}}`, 'decryption'],
    ['apu', `{${jwe},"kid":"k","epk":{"kty":"OKP","crv":"X25519","x":"${'A'.repeat(43)}"},"apu":${nested}}`, 'decryption'],
  ])('rejects an outer %s as an EnvelopeError', async (_, header, kind) => {
    const parts = await sealedParts();
    const fleetPrivateKey = (kid: string | undefined) => (kid === 'k' ? keys.fleet.privateKey : undefined);
    const error = await openError(() => openAuditMessage(withHeaderText(parts, header), { fleetPrivateKey, resolveDeviceKey: (kid) => registry.get(kid), topic: AUDIT_TOPIC }));

    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).kind).toBe(kind);
    expect((error as Error).message.length).toBeLessThan(400);
  });

  it.each([
    ['alg', `{"alg":${nested},"typ":"${typ}+jwt","kid":"${keys.device.kid}"}`, 'format'],
    ['typ', `{"alg":"EdDSA","typ":${nested},"kid":"${keys.device.kid}"}`, 'format'],
    ['crit', `{"alg":"EdDSA","typ":"${typ}+jwt","kid":"${keys.device.kid}","crit":${nested}}`, 'signature'],
  ])('rejects an inner JWS %s as an EnvelopeError', async (_, header, kind) => {
    // Anyone with the fleet public key can encrypt this, and the opener rejects it before the signature check.
    const jws = `${Buffer.from(header).toString('base64url')}.e30.${'A'.repeat(86)}`;
    const sealed = await new CompactEncrypt(Buffer.from(jws))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: keys.fleet.kid, typ, cty: 'JWT' })
      .encrypt(keys.fleet.publicKey);
    const error = await openError(() => openJson(z.unknown(), sealed, { typ, recipientKey: keys.fleet.privateKey, resolveSigner: (kid) => registry.get(kid) }));

    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as EnvelopeError).kind).toBe(kind);
    expect((error as Error).message.length).toBeLessThan(400);
  });

  it('cuts a long typ in the message', async () => {
    const parts = await sealedParts();
    const error = await openError(() => openAuditMessage(withHeaderText(parts, `{"typ":"${'x'.repeat(5000)}"}`), { fleetPrivateKey: keys.fleet.privateKey, resolveDeviceKey: (kid) => registry.get(kid) }));

    expect(error).toBeInstanceOf(EnvelopeError);
    expect((error as Error).message.length).toBeLessThan(400);
  });
});

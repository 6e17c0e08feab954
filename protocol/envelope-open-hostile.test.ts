import { createCipheriv, diffieHellman, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openAuditMessage } from '../appliance/audit/wire.js';
import { envelopeTestKeys, sampleEvent } from '../test/support/events.js';
import { EnvelopeError } from './envelope-errors.js';
import * as reference from './envelope.js';
import { ENVELOPE_TYPES, sealEvent, type RegisteredSigner } from './envelope.js';
import { openEvent, openJson } from './envelope-open.js';
import { concatKdf, concatKdfOtherInfo } from './envelope-open-crypto.js';

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

/**
 * Seal an event to the fleet key by hand, with `extra` members in the `epk` JWK, which jose's
 * CompactEncrypt cannot produce. The key agreement, key wrap and encryption are those of sealJson.
 */
async function sealWithEpk(curve: 'X25519' | 'P-256', curveKeys: ReturnType<typeof envelopeTestKeys>, extra: Record<string, unknown>): Promise<string> {
  const jws = await new CompactSign(Buffer.from(JSON.stringify(sampleEvent())))
    .setProtectedHeader({ alg: 'EdDSA', kid: curveKeys.device.kid, typ: 'facegate-event+jwt' })
    .sign(curveKeys.device.privateKey);
  const ephemeral = curve === 'X25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' }) as JsonWebKey;
  const header = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: curveKeys.fleet.kid, typ: 'facegate-event', cty: 'JWT', epk: { kty, crv, x, ...(y === undefined ? {} : { y }), ...extra } };

  const sharedSecret = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: curveKeys.fleet.publicKey });
  const keyEncryptionKey = concatKdf(sharedSecret, concatKdfOtherInfo('ECDH-ES+A256KW', new Uint8Array(0), new Uint8Array(0), 256), 256);
  const contentKey = randomBytes(32);
  const wrap = createCipheriv('id-aes256-wrap', keyEncryptionKey, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  const wrappedKey = Buffer.concat([wrap.update(contentKey), wrap.final()]);

  const protectedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', contentKey, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(jws), cipher.final()]);
  return [protectedHeader, wrappedKey.toString('base64url'), iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

describe.each(['X25519', 'P-256'] as const)('node:crypto opener with extra epk members on %s', (curve) => {
  const curveKeys = envelopeTestKeys(curve);
  const signers = new Map<string, RegisteredSigner>([[curveKeys.device.kid, { publicKey: curveKeys.device.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' }]]);
  const options = { fleetPrivateKey: curveKeys.fleet.privateKey, resolveDeviceKey: (kid: string) => signers.get(kid), topic: 'facegate/v1/mo-taipa-01/gate-01/events' };

  it.each([
    ['no extra member', {}],
    ['use enc', { use: 'enc' }],
    ['an empty key_ops', { key_ops: [] }],
    ['a kid', { kid: 'one-time' }],
  ])('opens an epk with %s like jose', async (_, extra) => {
    const jwe = await sealWithEpk(curve, curveKeys, extra);

    await expect(reference.openEvent(jwe, options)).resolves.toBeDefined();
    await expect(openEvent(jwe, options)).resolves.toBeDefined();
  });

  it.each([
    ['deriveBits', { key_ops: ['deriveBits'] }],
    ['sign', { key_ops: ['sign'] }],
    ['a string', { key_ops: 'deriveBits' }],
  ])('rejects an epk with key_ops %s like jose', async (_, extra) => {
    const jwe = await sealWithEpk(curve, curveKeys, extra);
    const joseError = await openError(() => reference.openEvent(jwe, options));
    const nodeError = await openError(() => openEvent(jwe, options));

    expect(joseError).toBeInstanceOf(EnvelopeError);
    expect(nodeError).toBeInstanceOf(EnvelopeError);
    expect((nodeError as EnvelopeError).code).toBe((joseError as EnvelopeError).code);
  });
});

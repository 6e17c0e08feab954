import { CompactEncrypt, CompactSign, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envelopeTestKeys, sampleEvent } from '../test/support/events.js';
import {
  EnvelopeDecryptionError,
  EnvelopeFormatError,
  EnvelopeMismatchError,
  EnvelopeSchemaError,
  EnvelopeSignatureError,
  UnknownSignerError,
} from './envelope-errors.js';
import { ENVELOPE_TYPES, openEvent, openJson, sealEvent, sealJson, type RegisteredSigner } from './envelope.js';
import { generateSigningKeyPair, keyId } from './keys.js';

const keys = envelopeTestKeys();
const sealOptions = {
  deviceSigningKey: keys.device.privateKey,
  deviceKid: keys.device.kid,
  fleetPublicKey: keys.fleet.publicKey,
  fleetKid: keys.fleet.kid,
};
const registry = new Map<string, RegisteredSigner>([
  [keys.device.kid, { publicKey: keys.device.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' }],
]);
const openOptions = {
  fleetPrivateKey: keys.fleet.privateKey,
  resolveDeviceKey: (kid: string) => registry.get(kid),
};

/** Flip one base64url character of the given compact-serialisation part. */
function tamper(token: string, part: number): string {
  const parts = token.split('.');
  const text = parts[part]!;
  const index = Math.floor(text.length / 2);
  parts[part] = text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);
  return parts.join('.');
}

describe('sealEvent and openEvent', () => {
  it('round-trips an event', async () => {
    const event = sampleEvent();
    const jwe = await sealEvent(event, sealOptions);
    const opened = await openEvent(jwe, { ...openOptions, topic: 'facegate/v1/mo-taipa-01/gate-01/events' });
    expect(opened.payload).toEqual(event);
    expect(opened.signerKid).toBe(keys.device.kid);
  });

  it('uses the agreed algorithms and headers', async () => {
    const jwe = await sealEvent(sampleEvent(), sealOptions);
    expect(jwe.split('.')).toHaveLength(5);
    expect(decodeProtectedHeader(jwe)).toMatchObject({
      alg: 'ECDH-ES+A256KW',
      enc: 'A256GCM',
      cty: 'JWT',
      typ: ENVELOPE_TYPES.event,
      kid: keys.fleet.kid,
    });
    // The event text must not be readable in the envelope.
    expect(Buffer.from(jwe.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('gate-01');
  });

  it('works with a P-256 fleet key', async () => {
    const p256 = envelopeTestKeys('P-256');
    const event = sampleEvent();
    const jwe = await sealEvent(event, { ...sealOptions, fleetPublicKey: p256.fleet.publicKey, fleetKid: p256.fleet.kid });
    const opened = await openEvent(jwe, { ...openOptions, fleetPrivateKey: p256.fleet.privateKey });
    expect(opened.payload.eventId).toBe(event.eventId);
  });

  it.each([
    ['protected header', 0],
    ['encrypted key', 1],
    ['initialisation vector', 2],
    ['ciphertext', 3],
    ['authentication tag', 4],
  ])('rejects a tampered %s', async (_, part) => {
    const jwe = await sealEvent(sampleEvent(), sealOptions);
    const error = await openEvent(tamper(jwe, part), openOptions).catch((caught: unknown) => caught);
    // A changed header may no longer decode; every other change must fail authenticated decryption.
    expect(error).toSatisfy((e) => e instanceof EnvelopeDecryptionError || e instanceof EnvelopeFormatError);
  });

  it('rejects a ciphertext change as a decryption failure', async () => {
    const jwe = await sealEvent(sampleEvent(), sealOptions);
    await expect(openEvent(tamper(jwe, 3), openOptions)).rejects.toBeInstanceOf(EnvelopeDecryptionError);
  });

  it('rejects an envelope for another fleet key', async () => {
    const other = envelopeTestKeys();
    const jwe = await sealEvent(sampleEvent(), sealOptions);
    await expect(openEvent(jwe, { ...openOptions, fleetPrivateKey: other.fleet.privateKey })).rejects.toBeInstanceOf(
      EnvelopeDecryptionError,
    );
  });

  it('rejects an event re-signed with another key under the device kid', async () => {
    // An attacker with the fleet public key (it is public) signs a forged event with their own key.
    const attacker = generateSigningKeyPair();
    const jwe = await sealEvent(sampleEvent({ decision: 'granted' }), { ...sealOptions, deviceSigningKey: attacker.privateKey });
    const error = await openEvent(jwe, openOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvelopeSignatureError);
    expect((error as Error).message).toContain(keys.device.kid);
  });

  it('rejects an unknown device kid', async () => {
    const stranger = generateSigningKeyPair();
    const jwe = await sealEvent(sampleEvent(), { ...sealOptions, deviceSigningKey: stranger.privateKey, deviceKid: keyId(stranger.publicKey) });
    const error = await openEvent(jwe, openOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnknownSignerError);
    expect((error as UnknownSignerError).kid).toBe(keyId(stranger.publicKey));
  });

  it('rejects an event naming another device than the key is registered to', async () => {
    const jwe = await sealEvent(sampleEvent({ deviceId: 'gate-02' }), sealOptions);
    const error = await openEvent(jwe, openOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvelopeMismatchError);
    expect((error as Error).message).toContain('"gate-02"');
  });

  it('rejects an event naming another site than the registry', async () => {
    const jwe = await sealEvent(sampleEvent({ siteId: 'mo-cotai-02' }), sealOptions);
    await expect(openEvent(jwe, openOptions)).rejects.toBeInstanceOf(EnvelopeMismatchError);
  });

  it('rejects an event that arrived on another device topic', async () => {
    const jwe = await sealEvent(sampleEvent(), sealOptions);
    await expect(openEvent(jwe, { ...openOptions, topic: 'facegate/v1/mo-taipa-01/gate-02/events' })).rejects.toBeInstanceOf(
      EnvelopeMismatchError,
    );
    await expect(openEvent(jwe, { ...openOptions, topic: 'facegate/v1/mo-taipa-01/gate-01/audit' })).rejects.toBeInstanceOf(
      EnvelopeMismatchError,
    );
  });

  it('rejects a correctly signed payload that fails the schema', async () => {
    // Sign and encrypt by hand, bypassing sealEvent, as a buggy or hostile sender could.
    const forged = { ...sampleEvent(), embedding: [0.1, 0.2] };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(forged)))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt' })
      .sign(keys.device.privateKey);
    const jwe = await new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', typ: 'facegate-event', cty: 'JWT' })
      .encrypt(keys.fleet.publicKey);
    const error = await openEvent(jwe, openOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvelopeSchemaError);
    expect((error as EnvelopeSchemaError).issues.join()).toContain('embedding');
  });

  it('rejects text that is not a compact JWE', async () => {
    await expect(openEvent('not-a-jwe', openOptions)).rejects.toBeInstanceOf(EnvelopeFormatError);
    await expect(openEvent('a.b.c', openOptions)).rejects.toBeInstanceOf(EnvelopeFormatError);
    await expect(openEvent('x'.repeat(100_000), openOptions)).rejects.toThrow('over the limit');
  });

  it('rejects the wrong key types with a clear message', async () => {
    await expect(sealEvent(sampleEvent(), { ...sealOptions, deviceSigningKey: keys.fleet.privateKey })).rejects.toThrow(
      'must be an Ed25519 private key, got a x25519 private key',
    );
    await expect(sealEvent(sampleEvent(), { ...sealOptions, fleetPublicKey: keys.device.publicKey })).rejects.toThrow(
      'must be an X25519 or P-256 public key',
    );
  });
});

describe('sealJson and openJson', () => {
  const auditEntry = z.strictObject({ id: z.string().max(64), action: z.enum(['enrol', 'delete']) });
  const generic = {
    signingKey: keys.device.privateKey,
    signerKid: keys.device.kid,
    recipientKey: keys.fleet.publicKey,
    recipientKid: keys.fleet.kid,
  };

  it('round-trips any schema with its own typ', async () => {
    const jwe = await sealJson(auditEntry, { id: 'a1', action: 'enrol' }, { ...generic, typ: ENVELOPE_TYPES.audit });
    const opened = await openJson(auditEntry, jwe, {
      typ: ENVELOPE_TYPES.audit,
      recipientKey: keys.fleet.privateKey,
      resolveSigner: (kid) => registry.get(kid),
    });
    expect(opened.payload).toEqual({ id: 'a1', action: 'enrol' });
    expect(opened.signer.deviceId).toBe('gate-01');
  });

  it('rejects an audit envelope opened as an event', async () => {
    const jwe = await sealJson(auditEntry, { id: 'a1', action: 'enrol' }, { ...generic, typ: ENVELOPE_TYPES.audit });
    const error = await openEvent(jwe, openOptions).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvelopeFormatError);
    expect((error as Error).message).toContain('expected typ "facegate-event"');
  });

  it('looks up the recipient key by JWE kid', async () => {
    const jwe = await sealJson(auditEntry, { id: 'a2', action: 'delete' }, { ...generic, typ: ENVELOPE_TYPES.audit });
    const seen: Array<string | undefined> = [];
    const opened = await openJson(auditEntry, jwe, {
      typ: ENVELOPE_TYPES.audit,
      recipientKey: (kid) => {
        seen.push(kid);
        return kid === keys.fleet.kid ? keys.fleet.privateKey : undefined;
      },
      resolveSigner: (kid) => registry.get(kid),
    });
    expect(seen).toEqual([keys.fleet.kid]);
    expect(opened.payload.id).toBe('a2');
  });

  it('enforces the size limit when sealing', async () => {
    const note = z.strictObject({ text: z.string() });
    await expect(sealJson(note, { text: 'x'.repeat(2000) }, { ...generic, typ: 'note', maxBytes: 1024 })).rejects.toThrow(
      'over the 1024-byte limit',
    );
  });
});

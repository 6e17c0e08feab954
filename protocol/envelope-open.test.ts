import { KeyObject, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import { CompactEncrypt, CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envelopeTestKeys, sampleEvent, type EnvelopeTestKeys } from '../test/support/events.js';
import { EnvelopeError, EnvelopeSchemaError } from './envelope-errors.js';
import * as reference from './envelope.js';
import { ENVELOPE_TYPES, sealEvent, sealJson, type OpenEventOptions, type RegisteredSigner } from './envelope.js';
import * as node from './envelope-open.js';
import { generateSigningKeyPair, keyId } from './keys.js';
import type { AttendanceEvent } from './event.js';

/**
 * Differential tests: every envelope goes through the jose opener (envelope.ts, the reference) and
 * the node:crypto opener (envelope-open.ts), and both must return the same payload or throw the
 * same EnvelopeError class and code. The message must agree up to its first ": ", because after it
 * each opener words the reason its own way (jose's reasons are jose's error texts).
 */

const TOPIC = 'facegate/v1/mo-taipa-01/gate-01/events';
const encoder = new TextEncoder();

type Outcome =
  | { ok: true; payload: unknown; signerKid: string }
  | { ok: false; name: string; code: string; kind: string; head: string; issues?: readonly string[] };

async function outcome(open: () => Promise<{ payload: unknown; signerKid: string }>): Promise<Outcome> {
  try {
    const opened = await open();
    return { ok: true, payload: opened.payload, signerKid: opened.signerKid };
  } catch (error) {
    if (!(error instanceof EnvelopeError)) throw error;
    const colon = error.message.indexOf(': ');
    return {
      ok: false,
      name: error.name,
      code: error.code,
      kind: error.kind,
      head: colon < 0 ? error.message : error.message.slice(0, colon),
      ...(error instanceof EnvelopeSchemaError ? { issues: error.issues } : {}),
    };
  }
}

/** Open `jwe` as an event with both openers and return the two outcomes. */
async function openBoth(jwe: string, options: OpenEventOptions): Promise<{ jose: Outcome; node: Outcome }> {
  return {
    jose: await outcome(() => reference.openEvent(jwe, options)),
    node: await outcome(() => node.openEvent(jwe, options)),
  };
}

/** Assert that both openers reject `jwe` with the same error, and return the node opener's outcome. */
async function expectSameRejection(jwe: string, options: OpenEventOptions, code?: string): Promise<Outcome> {
  const both = await openBoth(jwe, options);
  expect(both.jose.ok, 'the jose opener accepted the envelope').toBe(false);
  expect(both.node).toEqual(both.jose);
  if (code !== undefined) expect(both.node).toMatchObject({ code });
  return both.node;
}

function setup(curve: 'X25519' | 'P-256') {
  const keys = envelopeTestKeys(curve);
  const registry = new Map<string, RegisteredSigner>([[keys.device.kid, { publicKey: keys.device.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' }]]);
  const openOptions: OpenEventOptions = { fleetPrivateKey: keys.fleet.privateKey, resolveDeviceKey: (kid) => registry.get(kid), topic: TOPIC };
  const seal = (event: AttendanceEvent = sampleEvent()): Promise<string> =>
    sealEvent(event, { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: keys.fleet.publicKey, fleetKid: keys.fleet.kid });
  return { keys, registry, openOptions, seal };
}

/** Sign `payload` as the device and encrypt it to the fleet, with header overrides, bypassing sealEvent's checks. */
async function sealRaw(
  keys: EnvelopeTestKeys,
  payload: Uint8Array,
  overrides: { jws?: Record<string, unknown>; jwe?: Record<string, unknown>; signingKey?: KeyObject } = {},
): Promise<string> {
  const jws = await new CompactSign(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt', ...overrides.jws } as never)
    .sign(overrides.signingKey ?? keys.device.privateKey);
  return encryptRaw(keys, encoder.encode(jws), overrides.jwe);
}

/** Sign a compact JWS by hand with Ed25519, for headers that jose refuses to produce. */
function signRaw(header: Record<string, unknown>, payload: Uint8Array, signingKey: KeyObject): string {
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), signingKey).toString('base64url')}`;
}

function encryptRaw(keys: EnvelopeTestKeys, plaintext: Uint8Array, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: keys.fleet.kid, typ: 'facegate-event', cty: 'JWT', ...header } as never)
    .encrypt(keys.fleet.publicKey);
}

/** Flip one bit of the decoded bytes of a compact part, so the part really changes (a last character's spare bits would not). */
function flipBit(jwe: string, part: number, byteIndex: (length: number) => number): string {
  const parts = jwe.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64url');
  bytes[byteIndex(bytes.length)]! ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

function replacePart(jwe: string, part: number, text: string): string {
  const parts = jwe.split('.');
  parts[part] = text;
  return parts.join('.');
}

function decodeHeader(jwe: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwe.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Replace the protected header. Changing it changes the GCM additional data, so at best decryption fails. */
function withHeader(jwe: string, header: Record<string, unknown>): string {
  return replacePart(jwe, 0, Buffer.from(JSON.stringify(header)).toString('base64url'));
}

describe.each(['X25519', 'P-256'] as const)('node:crypto opener with a %s fleet key', (curve) => {
  const { keys, registry, openOptions, seal } = setup(curve);
  let sealed: string;

  beforeAll(async () => {
    sealed = await seal();
  });

  it('opens device envelopes like jose', async () => {
    const events = [
      sampleEvent(),
      sampleEvent({ decision: 'unknown', subject: null, doorActuated: false, seq: 2 }),
      sampleEvent({ decision: 'fallback', method: 'pin', direction: 'out', seq: 3, scores: {} }),
      sampleEvent({ decision: 'spoof', clock: { state: 'unsynced', source: 'rtc' }, seq: 4 }),
    ];
    for (const event of events) {
      const both = await openBoth(await seal(event), openOptions);
      expect(both.node).toEqual({ ok: true, payload: event, signerKid: keys.device.kid });
      expect(both.jose).toEqual(both.node);
    }
  });

  it('opens generic sealJson envelopes like jose', async () => {
    const note = z.strictObject({ id: z.string().max(64), text: z.string() });
    const value = { id: 'n-1', text: '澳門 gate 閘機 ✓' };
    const jwe = await sealJson(note, value, {
      typ: ENVELOPE_TYPES.audit,
      signingKey: keys.device.privateKey,
      signerKid: keys.device.kid,
      recipientKey: keys.fleet.publicKey,
      recipientKid: keys.fleet.kid,
    });
    const options = { typ: ENVELOPE_TYPES.audit, recipientKey: keys.fleet.privateKey, resolveSigner: (kid: string) => registry.get(kid) };
    const opened = await node.openJson(note, jwe, options);
    expect(opened.payload).toEqual(value);
    expect(opened).toEqual(await reference.openJson(note, jwe, options));
  });

  it('opens with WebCrypto keys as well as KeyObjects', async () => {
    const fleetAlgorithm = curve === 'X25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: 'P-256' };
    const fleetKey = await webcrypto.subtle.importKey('jwk', keys.fleet.privateKey.export({ format: 'jwk' }), fleetAlgorithm, false, ['deriveBits']);
    const deviceKey = await webcrypto.subtle.importKey('jwk', keys.device.publicKey.export({ format: 'jwk' }), { name: 'Ed25519' }, true, ['verify']);
    const signer = { publicKey: deviceKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' };
    const both = await openBoth(sealed, { fleetPrivateKey: fleetKey, resolveDeviceKey: () => signer, topic: TOPIC });
    expect(both.node.ok).toBe(true);
    expect(both.node).toEqual(both.jose);
  });

  it('opens envelopes with apu and apv like jose', async () => {
    const jws = await new CompactSign(encoder.encode(JSON.stringify(sampleEvent())))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt' })
      .sign(keys.device.privateKey);
    const jwe = await new CompactEncrypt(encoder.encode(jws))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: keys.fleet.kid, typ: 'facegate-event', cty: 'JWT' })
      .setKeyManagementParameters({ apu: encoder.encode('gate-01'), apv: encoder.encode('fleet') })
      .encrypt(keys.fleet.publicKey);
    expect(decodeHeader(jwe)).toMatchObject({ apu: 'Z2F0ZS0wMQ', apv: 'ZmxlZXQ' });
    const both = await openBoth(jwe, openOptions);
    expect(both.node.ok).toBe(true);
    expect(both.node).toEqual(both.jose);
  });

  it.each([
    ['protected header', 0],
    ['encrypted key', 1],
    ['initialisation vector', 2],
    ['ciphertext', 3],
    ['authentication tag', 4],
  ])('rejects a changed bit in the %s', async (_, part) => {
    for (const position of [() => 0, (length: number) => length >> 1, (length: number) => length - 1]) {
      const outcome = await expectSameRejection(flipBit(sealed, part, position), openOptions);
      // A changed header may no longer be JSON (format); every other change must fail decryption.
      if (part !== 0) expect(outcome).toMatchObject({ code: 'ENVELOPE_DECRYPTION_FAILED' });
    }
  });

  it('rejects header changes that keep it readable', async () => {
    const header = decodeHeader(sealed);
    const epk = header.epk as Record<string, unknown>;
    const other = envelopeTestKeys(curve);
    const otherEpk = decodeHeader(await sealEvent(sampleEvent(), { deviceSigningKey: keys.device.privateKey, deviceKid: keys.device.kid, fleetPublicKey: other.fleet.publicKey, fleetKid: other.fleet.kid })).epk;
    // The one-time key of another envelope to the same fleet key: nothing derived from one epk may serve another.
    const siblingEpk = decodeHeader(await seal()).epk;
    const variants: Array<Record<string, unknown>> = [
      { ...header, extra: 1 },
      { ...header, epk: otherEpk },
      { ...header, epk: siblingEpk },
      { ...header, epk: { ...epk, d: epk.x } },
      { ...header, epk: { ...epk, crv: curve === 'X25519' ? 'X448' : 'P-384' } },
      { ...header, epk: { ...epk, x: (epk.x as string).slice(0, 20) } },
      { ...header, epk: 'not a key' },
      { ...header, epk: undefined },
      { ...header, alg: 'ECDH-ES' },
      { ...header, alg: 'ECDH-ES+A128KW' },
      { ...header, alg: 'dir' },
      { ...header, alg: undefined },
      { ...header, enc: 'A128GCM' },
      { ...header, enc: 'A256CBC-HS512' },
      { ...header, crit: ['exp'], exp: 1 },
      { ...header, apu: 'YQ', apv: 'YQ' },
      { ...header, apu: 5 },
    ];
    for (const variant of variants) {
      await expectSameRejection(withHeader(sealed, variant), openOptions, 'ENVELOPE_DECRYPTION_FAILED');
    }
  });

  it('rejects an envelope for another fleet key', async () => {
    const other = envelopeTestKeys(curve);
    await expectSameRejection(sealed, { ...openOptions, fleetPrivateKey: other.fleet.privateKey }, 'ENVELOPE_DECRYPTION_FAILED');
  });

  it('rejects a fleet key of the wrong type', async () => {
    await expectSameRejection(sealed, { ...openOptions, fleetPrivateKey: keys.device.privateKey }, 'ENVELOPE_DECRYPTION_FAILED');
  });

  it('rejects a JWE kid the keyring does not hold', async () => {
    const keyring = (kid: string | undefined) => (kid === 'fleet-2' ? keys.fleet.privateKey : undefined);
    const outcome = await expectSameRejection(sealed, { ...openOptions, fleetPrivateKey: keyring }, 'ENVELOPE_DECRYPTION_FAILED');
    expect(outcome).toMatchObject({ head: `No fleet private key is configured for JWE kid ${JSON.stringify(keys.fleet.kid)}.` });
  });

  it('rejects an event signed by another key under the device kid', async () => {
    const attacker = generateSigningKeyPair();
    const jwe = await sealEvent(sampleEvent({ decision: 'granted' }), {
      deviceSigningKey: attacker.privateKey,
      deviceKid: keys.device.kid,
      fleetPublicKey: keys.fleet.publicKey,
      fleetKid: keys.fleet.kid,
    });
    const outcome = await expectSameRejection(jwe, openOptions, 'ENVELOPE_SIGNATURE_INVALID');
    expect(outcome).toMatchObject({ head: `The signature by kid ${JSON.stringify(keys.device.kid)} does not verify` });
  });

  it('rejects a device key of the wrong type', async () => {
    const signer = { publicKey: keys.fleet.publicKey, deviceId: 'gate-01', siteId: 'mo-taipa-01' };
    await expectSameRejection(sealed, { ...openOptions, resolveDeviceKey: () => signer }, 'ENVELOPE_SIGNATURE_INVALID');
  });

  it('rejects inner kids that name no usable signer', async () => {
    const payload = encoder.encode(JSON.stringify(sampleEvent()));
    const stranger = generateSigningKeyPair();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kid: keyId(stranger.publicKey) }, 'ENVELOPE_UNKNOWN_SIGNER'],
      [{ kid: '' }, 'ENVELOPE_INVALID_FORMAT'],
      [{ kid: 'k'.repeat(129) }, 'ENVELOPE_INVALID_FORMAT'],
      [{ kid: 7 }, 'ENVELOPE_INVALID_FORMAT'],
      [{ kid: undefined }, 'ENVELOPE_INVALID_FORMAT'],
      [{ typ: 'facegate-audit+jwt' }, 'ENVELOPE_INVALID_FORMAT'],
    ];
    for (const [jwsHeader, code] of cases) {
      await expectSameRejection(await sealRaw(keys, payload, { jws: jwsHeader }), openOptions, code);
    }
  });

  it('rejects an inner JWS with an unknown critical extension', async () => {
    const header = { alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt', crit: ['exp'], exp: 1 };
    const jws = signRaw(header, encoder.encode(JSON.stringify(sampleEvent())), keys.device.privateKey);
    await expectSameRejection(await encryptRaw(keys, encoder.encode(jws)), openOptions, 'ENVELOPE_SIGNATURE_INVALID');
  });

  it('rejects an inner JWS with another algorithm', async () => {
    const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jws = await new CompactSign(encoder.encode(JSON.stringify(sampleEvent())))
      .setProtectedHeader({ alg: 'ES256', kid: keys.device.kid, typ: 'facegate-event+jwt' })
      .sign(es256.privateKey);
    await expectSameRejection(await encryptRaw(keys, encoder.encode(jws)), openOptions, 'ENVELOPE_INVALID_FORMAT');
  });

  it('rejects decrypted content that is not a signed event', async () => {
    const jws = await new CompactSign(encoder.encode(JSON.stringify(sampleEvent())))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt' })
      .sign(keys.device.privateKey);
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const cases: Array<[string | Uint8Array, string]> = [
      ['hello', 'ENVELOPE_INVALID_FORMAT'],
      [Uint8Array.of(0xff, 0xfe, 0x2e, 0x41), 'ENVELOPE_DECRYPTION_FAILED'],
      [`${header}.${payload}`, 'ENVELOPE_INVALID_FORMAT'],
      [`.${payload}.${signature}`, 'ENVELOPE_INVALID_FORMAT'],
      [`${Buffer.from('[1,2]').toString('base64url')}.${payload}.${signature}`, 'ENVELOPE_INVALID_FORMAT'],
      [`${Buffer.from('{"alg":').toString('base64url')}.${payload}.${signature}`, 'ENVELOPE_INVALID_FORMAT'],
      [`${header}!.${payload}.${signature}`, 'ENVELOPE_INVALID_FORMAT'],
      [`${jws}.AA.AA`, 'ENVELOPE_SIGNATURE_INVALID'],
      [`${header}.${payload}.${signature.slice(0, -4)}`, 'ENVELOPE_SIGNATURE_INVALID'],
      [`${header}.${payload}.`, 'ENVELOPE_SIGNATURE_INVALID'],
      [`${header}.${payload.slice(0, -1)}.${signature}`, 'ENVELOPE_SIGNATURE_INVALID'],
      [`${header}.${payload}.${signature}`, 'ok'],
    ];
    for (const [plaintext, code] of cases) {
      const jwe = await encryptRaw(keys, typeof plaintext === 'string' ? encoder.encode(plaintext) : plaintext);
      if (code === 'ok') {
        const both = await openBoth(jwe, openOptions);
        expect(both.node.ok).toBe(true);
        expect(both.node).toEqual(both.jose);
      } else {
        await expectSameRejection(jwe, openOptions, code);
      }
    }
  });

  it('rejects signed payloads that fail the schema or size limit', async () => {
    const cases: Array<[string, string]> = [
      [JSON.stringify({ ...sampleEvent(), embedding: [0.1, 0.2] }), 'ENVELOPE_SCHEMA_INVALID'],
      ['not json', 'ENVELOPE_SCHEMA_INVALID'],
      ['', 'ENVELOPE_SCHEMA_INVALID'],
      [JSON.stringify({ ...sampleEvent(), reason: 'x'.repeat(5000) }), 'ENVELOPE_INVALID_FORMAT'],
    ];
    for (const [payload, code] of cases) {
      const outcome = await expectSameRejection(await sealRaw(keys, encoder.encode(payload)), openOptions, code);
      if (code === 'ENVELOPE_SCHEMA_INVALID') expect(outcome.ok === false && outcome.issues !== undefined && outcome.issues.length > 0).toBe(true);
    }
  });

  it('rejects events that name another device, site or topic', async () => {
    await expectSameRejection(await seal(sampleEvent({ deviceId: 'gate-02' })), { ...openOptions, topic: undefined }, 'ENVELOPE_DEVICE_MISMATCH');
    await expectSameRejection(await seal(sampleEvent({ siteId: 'mo-cotai-02' })), { ...openOptions, topic: undefined }, 'ENVELOPE_DEVICE_MISMATCH');
    await expectSameRejection(sealed, { ...openOptions, topic: 'facegate/v1/mo-taipa-01/gate-02/events' }, 'ENVELOPE_DEVICE_MISMATCH');
    await expectSameRejection(sealed, { ...openOptions, topic: 'facegate/v1/mo-taipa-01/gate-01/audit' }, 'ENVELOPE_DEVICE_MISMATCH');
    const unbound = { publicKey: keys.device.publicKey, siteId: 'mo-taipa-01' };
    await expectSameRejection(sealed, { ...openOptions, resolveDeviceKey: () => unbound }, 'ENVELOPE_DEVICE_MISMATCH');
  });

  it('rejects an envelope of another type', async () => {
    const audit = await sealJson(z.strictObject({ id: z.string() }), { id: 'a1' }, {
      typ: ENVELOPE_TYPES.audit,
      signingKey: keys.device.privateKey,
      signerKid: keys.device.kid,
      recipientKey: keys.fleet.publicKey,
      recipientKid: keys.fleet.kid,
    });
    await expectSameRejection(audit, openOptions, 'ENVELOPE_INVALID_FORMAT');
    await expectSameRejection(withHeader(sealed, { ...decodeHeader(sealed), cty: 'json' }), openOptions, 'ENVELOPE_INVALID_FORMAT');
  });

  it('rejects truncated envelopes', async () => {
    const parts = sealed.split('.');
    const truncated = [
      parts.slice(0, 4).join('.'),
      replacePart(sealed, 1, ''),
      replacePart(sealed, 2, parts[2]!.slice(0, -2)),
      replacePart(sealed, 4, parts[4]!.slice(0, -2)),
      replacePart(sealed, 3, parts[3]!.slice(0, -8)),
    ];
    for (let cut = 1; cut < sealed.length; cut += 53) truncated.push(sealed.slice(0, cut));
    for (const jwe of truncated) await expectSameRejection(jwe, openOptions);

    await expectSameRejection(replacePart(sealed, 4, parts[4]!.slice(0, -2)), openOptions, 'ENVELOPE_DECRYPTION_FAILED');
    await expectSameRejection(replacePart(sealed, 1, ''), openOptions, 'ENVELOPE_DECRYPTION_FAILED');
  });

  it('rejects characters outside base64url', async () => {
    const parts = sealed.split('.');
    for (const character of ['+', '/', '=', ' ', '!', '\n', 'é', '\u0000']) {
      for (let part = 0; part < 5; part++) {
        const text = parts[part]!;
        const middle = text.length >> 1;
        const jwe = replacePart(sealed, part, text.slice(0, middle) + character + text.slice(middle + 1));
        await expectSameRejection(jwe, openOptions, 'ENVELOPE_INVALID_FORMAT');
      }
    }
  });

  it('rejects a base64url part of length 4n + 1', async () => {
    // No byte string encodes to 4n + 1 characters, but Buffer.from drops the last one and decodes the rest.
    // White space pads the header JSON to a multiple of 3 bytes, so the part without the extra character is valid.
    let json = JSON.stringify(decodeHeader(sealed));
    while (json.length % 3 !== 0) json += ' ';
    const header = Buffer.from(json).toString('base64url');
    expect(header.length % 4).toBe(0);
    await expectSameRejection(replacePart(sealed, 0, `${header}A`), openOptions, 'ENVELOPE_INVALID_FORMAT');
  });

  it('rejects oversized and non-string input', async () => {
    const outcome = await expectSameRejection(`${sealed}${'A'.repeat(10_000)}`, openOptions, 'ENVELOPE_INVALID_FORMAT');
    expect(outcome).toMatchObject({ head: expect.stringContaining('characters long, over the limit') });
    await expectSameRejection(12 as unknown as string, openOptions, 'ENVELOPE_INVALID_FORMAT');
  });
});

describe('node:crypto opener where it is stricter than jose', () => {
  const { keys, openOptions } = setup('X25519');

  it('rejects a compressed payload that jose inflates', async () => {
    const jwe = await sealRaw(keys, encoder.encode(JSON.stringify(sampleEvent())), { jwe: { zip: 'DEF' } });
    const both = await openBoth(jwe, openOptions);
    expect(both.jose.ok).toBe(true);
    expect(both.node).toMatchObject({ ok: false, code: 'ENVELOPE_DECRYPTION_FAILED' });
  });

  it('rejects a JWS that marks b64 as critical', async () => {
    const header = { alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt', crit: ['b64'], b64: true };
    const jws = signRaw(header, encoder.encode(JSON.stringify(sampleEvent())), keys.device.privateKey);
    const both = await openBoth(await encryptRaw(keys, encoder.encode(jws)), openOptions);
    expect(both.jose.ok).toBe(true);
    expect(both.node).toMatchObject({ ok: false, code: 'ENVELOPE_SIGNATURE_INVALID' });
  });

  it('rejects white space inside the signed token', async () => {
    const jws = await new CompactSign(encoder.encode(JSON.stringify(sampleEvent())))
      .setProtectedHeader({ alg: 'EdDSA', kid: keys.device.kid, typ: 'facegate-event+jwt' })
      .sign(keys.device.privateKey);
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const jwe = await encryptRaw(keys, encoder.encode(`${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`));
    const both = await openBoth(jwe, openOptions);
    expect(both.jose.ok).toBe(true);
    expect(both.node).toMatchObject({ ok: false, code: 'ENVELOPE_SIGNATURE_INVALID' });
  });
});

describe('node:crypto opener error messages', () => {
  const { openOptions, seal } = setup('X25519');

  it('names the offending value', async () => {
    const sealed = await seal();
    const header = decodeHeader(sealed);
    const epk = header.epk as Record<string, unknown>;
    const parts = sealed.split('.');
    const cases: Array<[string, string]> = [
      [withHeader(sealed, { ...header, alg: 'RSA-OAEP' }), 'the JWE alg is "RSA-OAEP", expected "ECDH-ES+A256KW"'],
      [withHeader(sealed, { ...header, enc: 'A128GCM' }), 'the JWE enc is "A128GCM", expected "A256GCM"'],
      [withHeader(sealed, { ...header, epk: { ...epk, crv: 'X448' } }), 'the JWE epk has kty "OKP" and crv "X448", expected "OKP" and "X25519"'],
      [withHeader(sealed, { ...header, epk: { ...epk, d: 'AA' } }), 'the JWE epk contains the private key member "d"'],
      [withHeader(sealed, { ...header, crit: ['exp'], exp: 1 }), 'the JWE header marks ["exp"] as critical extensions'],
      [withHeader(sealed, { ...header, zip: 'DEF' }), 'the JWE header asks for compression (zip "DEF")'],
      [withHeader(sealed, { ...header, apu: 'YQ', apv: 'YQ' }), 'the JWE apu and apv are both "YQ"; they must differ'],
      [replacePart(sealed, 4, parts[4]!.slice(0, -2)), 'the authentication tag is 15 bytes, expected 16'],
      [replacePart(sealed, 2, parts[2]!.slice(0, -1)), 'the initialisation vector is 11 bytes, expected 12'],
      [flipBit(sealed, 1, () => 3), 'the AES key unwrap integrity check failed'],
      [flipBit(sealed, 3, () => 3), 'AES-GCM authentication failed'],
    ];
    for (const [jwe, reason] of cases) {
      const error = await node.openEvent(jwe, openOptions).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EnvelopeError);
      expect((error as Error).message).toContain(reason);
    }
  });

  it('cuts long hostile header values in messages', async () => {
    const sealed = await seal();
    const error = await node.openEvent(withHeader(sealed, { ...decodeHeader(sealed), alg: 'x'.repeat(5000) }), openOptions).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain(`"${'x'.repeat(76)}...`);
    expect((error as Error).message.length).toBeLessThan(200);
  });
});

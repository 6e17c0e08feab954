import { KeyObject, webcrypto } from 'node:crypto';
import { CompactEncrypt, CompactSign, compactDecrypt, compactVerify, decodeProtectedHeader, errors } from 'jose';
import type { z } from 'zod';
import { errorMessage } from '../appliance/common/errors.js';
import {
  EnvelopeDecryptionError,
  EnvelopeFormatError,
  EnvelopeMismatchError,
  EnvelopeSchemaError,
  EnvelopeSignatureError,
  UnknownSignerError,
} from './envelope-errors.js';
import { MAX_EVENT_BYTES, attendanceEvent, type AttendanceEvent } from './event.js';
import { assertEncryptionKey, assertSigningKey } from './keys.js';
import { parseTopic } from './topics.js';

/**
 * Sealed envelopes. Sealing validates a JSON payload against its wire schema and signs it with
 * the device key (compact JWS, EdDSA over Ed25519, header `kid` and `typ`). It then encrypts the
 * JWS to the fleet key (compact JWE, ECDH-ES+A256KW with A256GCM, `cty: "JWT"` for the nested
 * token). Opening reverses every step and validates again, so the receiver never trusts a field
 * the schema does not allow.
 */

export const JWS_ALGORITHM = 'EdDSA';
export const JWE_KEY_ALGORITHM = 'ECDH-ES+A256KW';
export const JWE_CONTENT_ALGORITHM = 'A256GCM';

/** Envelope types; the inner JWS carries `<typ>+jwt`, so an audit entry cannot be replayed as an event. */
export const ENVELOPE_TYPES = {
  event: 'facegate-event',
  audit: 'facegate-audit',
  command: 'facegate-command',
  commandResult: 'facegate-command-result',
} as const;

export type EnvelopeKey = KeyObject | webcrypto.CryptoKey;

export interface SealOptions {
  /** Envelope type such as `facegate-event`. */
  typ: string;
  /** Ed25519 private key of the signer (the device, or an operator for commands). */
  signingKey: EnvelopeKey;
  signerKid: string;
  /** X25519 or P-256 public key of the recipient. */
  recipientKey: EnvelopeKey;
  recipientKid: string;
  /** Largest serialised payload in bytes; 64 KiB by default. */
  maxBytes?: number;
}

/** Public key registered for a signer kid, with the device it belongs to (absent for operators). */
export interface RegisteredSigner {
  publicKey: EnvelopeKey;
  deviceId?: string;
  siteId?: string;
}

export type SignerResolver = (kid: string) => RegisteredSigner | undefined | Promise<RegisteredSigner | undefined>;
export type RecipientKeySource = EnvelopeKey | ((kid: string | undefined) => EnvelopeKey | undefined | Promise<EnvelopeKey | undefined>);

export interface OpenOptions {
  typ: string;
  /** The recipient's private key, or a lookup by the JWE `kid` during key rotation. */
  recipientKey: RecipientKeySource;
  resolveSigner: SignerResolver;
  maxBytes?: number;
}

export interface Opened<T> {
  payload: T;
  signerKid: string;
  signer: RegisteredSigner;
}

const DEFAULT_MAX_BYTES = 64 * 1024;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Validate `value` against `schema`, sign it and encrypt it. Throws EnvelopeSchemaError, without
 * touching a key, when the value fails the schema, so an unexpected field never gets sealed.
 */
export async function sealJson<S extends z.ZodType>(schema: S, value: unknown, options: SealOptions): Promise<string> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw EnvelopeSchemaError.fromZod(`${options.typ} payload`, parsed.error);

  // Serialise the parsed copy, not the caller's object, because it contains exactly the allowed keys.
  const json = JSON.stringify(parsed.data);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = encoder.encode(json);
  if (bytes.byteLength > maxBytes) {
    throw new EnvelopeFormatError(`The ${options.typ} payload is ${bytes.byteLength} bytes, over the ${maxBytes}-byte limit.`);
  }

  assertSigningKey(toKeyObject(options.signingKey), 'private', 'signing key');
  assertEncryptionKey(toKeyObject(options.recipientKey), 'public', 'recipient key');

  const jws = await new CompactSign(bytes)
    .setProtectedHeader({ alg: JWS_ALGORITHM, kid: options.signerKid, typ: `${options.typ}+jwt` })
    .sign(options.signingKey);

  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({
      alg: JWE_KEY_ALGORITHM,
      enc: JWE_CONTENT_ALGORITHM,
      kid: options.recipientKid,
      typ: options.typ,
      cty: 'JWT',
    })
    .encrypt(options.recipientKey);
}

/** Decrypt, verify and validate an envelope made by sealJson. Every failure is an EnvelopeError subclass. */
export async function openJson<S extends z.ZodType>(schema: S, jwe: string, options: OpenOptions): Promise<Opened<z.output<S>>> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // Base64url and the JOSE headers add about 4/3 plus a few hundred bytes twice over.
  if (typeof jwe !== 'string' || jwe.length > maxBytes * 2 + 2048) {
    throw new EnvelopeFormatError(`The envelope is ${typeof jwe === 'string' ? `${jwe.length} characters long, over the limit` : `a ${typeof jwe}, not a string`}.`);
  }
  if (!COMPACT_JWE.test(jwe)) {
    throw new EnvelopeFormatError('The envelope is not a compact JWE (five base64url parts separated by dots).');
  }

  const outerHeader = decodeHeader(jwe, 'JWE');
  if (outerHeader.typ !== options.typ || outerHeader.cty !== 'JWT') {
    throw new EnvelopeFormatError(
      `The envelope has typ ${JSON.stringify(outerHeader.typ)} and cty ${JSON.stringify(outerHeader.cty)}, expected typ "${options.typ}" and cty "JWT".`,
    );
  }

  const recipientKey = await resolveRecipientKey(options.recipientKey, outerHeader.kid);
  let jws: string;
  try {
    const { plaintext } = await compactDecrypt(jwe, recipientKey, {
      keyManagementAlgorithms: [JWE_KEY_ALGORITHM],
      contentEncryptionAlgorithms: [JWE_CONTENT_ALGORITHM],
    });
    jws = decoder.decode(plaintext);
  } catch (error) {
    throw new EnvelopeDecryptionError(`The envelope could not be decrypted: ${joseReason(error)}.`, {
      hint: 'The ciphertext was altered, or it was encrypted to a different fleet key than the one configured here.',
      cause: error,
    });
  }

  const innerHeader = decodeHeader(jws, 'JWS');
  if (innerHeader.alg !== JWS_ALGORITHM || innerHeader.typ !== `${options.typ}+jwt`) {
    throw new EnvelopeFormatError(
      `The signed payload has alg ${JSON.stringify(innerHeader.alg)} and typ ${JSON.stringify(innerHeader.typ)}, expected "${JWS_ALGORITHM}" and "${options.typ}+jwt".`,
    );
  }
  const kid = innerHeader.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) {
    throw new EnvelopeFormatError('The signed payload has no usable kid header, so the signer cannot be identified.');
  }

  const signer = await options.resolveSigner(kid);
  if (signer === undefined) throw new UnknownSignerError(kid);

  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(jws, signer.publicKey, { algorithms: [JWS_ALGORITHM] });
    payloadBytes = verified.payload;
  } catch (error) {
    throw new EnvelopeSignatureError(`The signature by kid ${JSON.stringify(kid)} does not verify: ${joseReason(error)}.`, {
      hint: 'The payload was altered or signed by another key than the one registered for this kid.',
      cause: error,
    });
  }

  return { payload: parseSignedPayload(schema, payloadBytes, options.typ, maxBytes), signerKid: kid, signer };
}

/** Check the size of a verified payload, then parse it as UTF-8 JSON and validate it against `schema`. */
export function parseSignedPayload<S extends z.ZodType>(schema: S, payloadBytes: Uint8Array, typ: string, maxBytes: number): z.output<S> {
  if (payloadBytes.byteLength > maxBytes) {
    throw new EnvelopeFormatError(`The ${typ} payload is ${payloadBytes.byteLength} bytes, over the ${maxBytes}-byte limit.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(payloadBytes));
  } catch (error) {
    throw new EnvelopeSchemaError(`${typ} payload`, [`(root): not valid UTF-8 JSON (${errorMessage(error)})`], { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw EnvelopeSchemaError.fromZod(`${typ} payload`, parsed.error);
  return parsed.data;
}

export interface SealEventOptions {
  deviceSigningKey: EnvelopeKey;
  deviceKid: string;
  fleetPublicKey: EnvelopeKey;
  fleetKid: string;
}

/** Seal an attendance event; throws EnvelopeSchemaError for anything the allowlist does not permit. */
export function sealEvent(payload: AttendanceEvent, options: SealEventOptions): Promise<string> {
  return sealJson(attendanceEvent, payload, {
    typ: ENVELOPE_TYPES.event,
    signingKey: options.deviceSigningKey,
    signerKid: options.deviceKid,
    recipientKey: options.fleetPublicKey,
    recipientKid: options.fleetKid,
    maxBytes: MAX_EVENT_BYTES,
  });
}

export interface OpenEventOptions {
  fleetPrivateKey: RecipientKeySource;
  /** Look up the registered device key by JWS kid; return undefined for an unknown kid. */
  resolveDeviceKey: SignerResolver;
  /** Topic the envelope arrived on; when given, its site and device must match the payload. */
  topic?: string;
}

/**
 * Open an attendance event and check that the device registered for the signing key is the
 * device named in the payload (and in the topic, when given).
 */
export async function openEvent(jwe: string, options: OpenEventOptions): Promise<Opened<AttendanceEvent>> {
  const opened = await openJson(attendanceEvent, jwe, {
    typ: ENVELOPE_TYPES.event,
    recipientKey: options.fleetPrivateKey,
    resolveSigner: options.resolveDeviceKey,
    maxBytes: MAX_EVENT_BYTES,
  });
  checkEventOrigin(opened, options.topic);
  return opened;
}

/** Check that the signer's registered device, the payload and the topic (when given) name the same device and site. */
export function checkEventOrigin({ payload, signer, signerKid }: Opened<AttendanceEvent>, topic: string | undefined): void {
  if (signer.deviceId === undefined || signer.deviceId !== payload.deviceId) {
    throw new EnvelopeMismatchError(
      `Event ${payload.eventId} names device ${JSON.stringify(payload.deviceId)}, but kid ${JSON.stringify(signerKid)} is registered to ${signer.deviceId === undefined ? 'no device' : `device ${JSON.stringify(signer.deviceId)}`}.`,
      { hint: 'A device may only sign its own events; check the device key registry.', params: { kid: signerKid } },
    );
  }
  if (signer.siteId !== undefined && signer.siteId !== payload.siteId) {
    throw new EnvelopeMismatchError(
      `Event ${payload.eventId} names site ${JSON.stringify(payload.siteId)}, but device ${JSON.stringify(signer.deviceId)} is registered at site ${JSON.stringify(signer.siteId)}.`,
      { hint: 'Update the registry if the device was moved to another site.' },
    );
  }
  if (topic === undefined) return;
  const parts = parseTopic(topic);
  if (parts === undefined || parts.channel !== 'events' || parts.deviceId !== payload.deviceId || parts.siteId !== payload.siteId) {
    throw new EnvelopeMismatchError(`Event ${payload.eventId} of ${payload.siteId}/${payload.deviceId} arrived on topic ${JSON.stringify(topic)}.`, {
      hint: 'Events must arrive on facegate/v1/<site>/<device>/events of the device that signed them.',
    });
  }
}

function decodeHeader(token: string, kind: 'JWE' | 'JWS'): Record<string, unknown> {
  try {
    return decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (error) {
    throw new EnvelopeFormatError(`The ${kind} protected header cannot be decoded: ${joseReason(error)}.`, { cause: error });
  }
}

async function resolveRecipientKey(source: RecipientKeySource, kid: unknown): Promise<EnvelopeKey> {
  if (typeof source !== 'function') return source;
  const key = await source(typeof kid === 'string' ? kid : undefined);
  if (key === undefined) {
    throw new EnvelopeDecryptionError(`No fleet private key is configured for JWE kid ${JSON.stringify(kid)}.`, {
      hint: 'The device encrypted to a fleet key this receiver does not hold; check the fleet key rotation.',
    });
  }
  return key;
}

function toKeyObject(key: EnvelopeKey): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key);
}

function joseReason(error: unknown): string {
  if (error instanceof errors.JOSEError) return `${error.code}: ${error.message}`;
  return errorMessage(error);
}

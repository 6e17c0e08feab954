import type { z } from 'zod';
import { EnvelopeDecryptionError, EnvelopeFormatError, UnknownSignerError } from './envelope-errors.js';
import { ENVELOPE_TYPES, JWS_ALGORITHM, checkEventOrigin, parseSignedPayload, type EnvelopeKey, type OpenEventOptions, type OpenOptions, type Opened, type RecipientKeySource } from './envelope.js';
import { decryptCompactJwe, decryptionFailed, quote } from './envelope-open-jwe.js';
import { decodeProtectedHeader, parseCompactJws, verifyCompactJws } from './envelope-open-jws.js';
import { MAX_EVENT_BYTES, attendanceEvent, type AttendanceEvent } from './event.js';

/**
 * Opening of sealed envelopes on `node:crypto` directly, for the fleet's receive path. It takes
 * the same options, runs the same checks in the same order and throws the same EnvelopeError
 * classes and codes as openJson and openEvent in envelope.ts, which go through jose and WebCrypto.
 * It rejects three things jose accepts, each marked with a NOTE: a compressed JWE, `crit` in the
 * inner JWS and white space inside the inner JWS. Messages keep their wording up to the colon, and
 * the reason after it is this module's own and names the offending value. Sealing stays with jose,
 * and envelope-open.test.ts holds this opener to the jose one as the reference.
 */

/** Same default as sealJson and envelope.ts openJson. */
const DEFAULT_MAX_BYTES = 64 * 1024;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

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

  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = jwe.split('.') as [string, string, string, string, string];
  const outerHeader = decodeProtectedHeader(protectedHeader, 'JWE');
  if (outerHeader.typ !== options.typ || outerHeader.cty !== 'JWT') {
    throw new EnvelopeFormatError(
      `The envelope has typ ${quote(outerHeader.typ)} and cty ${quote(outerHeader.cty)}, expected typ "${options.typ}" and cty "JWT".`,
    );
  }

  const recipientKey = await resolveRecipientKey(options.recipientKey, outerHeader.kid);
  const plaintext = decryptCompactJwe({ protectedHeader, encryptedKey, iv, ciphertext, tag }, outerHeader, recipientKey);
  let jws: string;
  try {
    jws = strictUtf8.decode(plaintext);
  } catch (error) {
    throw decryptionFailed('the decrypted content is not valid UTF-8', 'The sender encrypted something other than a compact JWS.', error);
  }

  const parsedJws = parseCompactJws(jws);
  const innerHeader = parsedJws.header;
  if (innerHeader.alg !== JWS_ALGORITHM || innerHeader.typ !== `${options.typ}+jwt`) {
    throw new EnvelopeFormatError(
      `The signed payload has alg ${quote(innerHeader.alg)} and typ ${quote(innerHeader.typ)}, expected "${JWS_ALGORITHM}" and "${options.typ}+jwt".`,
    );
  }
  const kid = innerHeader.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 128) {
    throw new EnvelopeFormatError('The signed payload has no usable kid header, so the signer cannot be identified.');
  }

  const signer = await options.resolveSigner(kid);
  if (signer === undefined) throw new UnknownSignerError(kid);
  const payloadBytes = verifyCompactJws(parsedJws, signer.publicKey, kid);

  return { payload: parseSignedPayload(schema, payloadBytes, options.typ, maxBytes), signerKid: kid, signer };
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

async function resolveRecipientKey(source: RecipientKeySource, kid: unknown): Promise<EnvelopeKey> {
  if (typeof source !== 'function') return source;
  const key = await source(typeof kid === 'string' ? kid : undefined);
  if (key === undefined) {
    throw new EnvelopeDecryptionError(`No fleet private key is configured for JWE kid ${quote(kid)}.`, {
      hint: 'The device encrypted to a fleet key this receiver does not hold; check the fleet key rotation.',
    });
  }
  return key;
}

import { KeyObject, verify } from 'node:crypto';
import { errorMessage } from '../appliance/common/errors.js';
import { EnvelopeFormatError, EnvelopeSignatureError } from './envelope-errors.js';
import type { EnvelopeKey } from './envelope.js';
import { decodeBase64url } from './envelope-open-crypto.js';
import { quote } from './envelope-open-jwe.js';

/**
 * The inner JWS of an envelope: a compact JWS signed with Ed25519 (`alg: "EdDSA"`), checked with
 * `crypto.verify` on the signer's registered public key.
 */

const ED25519_SIGNATURE_BYTES = 64;
const SIGNATURE_HINT = 'The payload was altered or signed by another key than the one registered for this kid.';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Ed25519 KeyObjects of the signer keys seen so far, so a CryptoKey is converted once. */
const verifyKeys = new WeakMap<EnvelopeKey, KeyObject>();

export interface ParsedJws {
  header: Record<string, unknown>;
  /** The dot-separated parts as received. */
  parts: string[];
}

/**
 * Split a compact JWS and decode its protected header. A token of 3 or 5 parts gets this far, as
 * jose's decodeProtectedHeader allows; verifyCompactJws then requires exactly 3. Throws
 * EnvelopeFormatError when the header is not a base64url-encoded JSON object.
 */
export function parseCompactJws(token: string): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) {
    throw headerUnreadable('JWS', `the token has ${parts.length} dot-separated parts, expected 3`);
  }
  return { header: decodeProtectedHeader(parts[0]!, 'JWS'), parts };
}

/** Decode a JOSE protected header; throws EnvelopeFormatError naming what is wrong with it. */
export function decodeProtectedHeader(encoded: string, kind: 'JWE' | 'JWS'): Record<string, unknown> {
  if (encoded.length === 0) throw headerUnreadable(kind, 'it is empty');
  const bytes = decodeBase64url(encoded);
  if (bytes === undefined) throw headerUnreadable(kind, `it is not valid base64url (${encoded.length} characters)`);

  let header: unknown;
  try {
    header = JSON.parse(strictUtf8.decode(bytes));
  } catch (error) {
    throw headerUnreadable(kind, `it is not UTF-8 JSON (${errorMessage(error)})`, error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    let type: string = typeof header;
    if (header === null) type = 'null';
    if (Array.isArray(header)) type = 'array';
    throw headerUnreadable(kind, `it is a JSON ${type}, not an object`);
  }
  return header as Record<string, unknown>;
}

/**
 * Verify the Ed25519 signature of a parsed JWS and return its decoded payload. Every failure,
 * including a malformed signature or payload part, throws EnvelopeSignatureError naming `kid`.
 */
export function verifyCompactJws(jws: ParsedJws, publicKey: EnvelopeKey, kid: string): Buffer {
  const fail = (reason: string, cause?: unknown): EnvelopeSignatureError =>
    new EnvelopeSignatureError(`The signature by kid ${JSON.stringify(kid)} does not verify: ${reason}.`, { hint: SIGNATURE_HINT, cause });

  if (jws.parts.length !== 3) throw fail(`the JWS has ${jws.parts.length} dot-separated parts, expected 3`);
  // No JWS extension is implemented, so a `crit` header of any kind is rejected.
  // NOTE: jose 6 accepts `crit: ["b64"]`, but sealJson never produces it, so this opener rejects it.
  if (jws.header.crit !== undefined) throw fail(`the JWS header marks ${quote(jws.header.crit)} as critical extensions, which are not supported`);
  const [encodedHeader, encodedPayload, encodedSignature] = jws.parts as [string, string, string];
  // NOTE: jose 6 decodes with atob, which skips ASCII white space, so it accepts a signed token with spaces. This decoder does not.
  const payload = decodeBase64url(encodedPayload);
  if (payload === undefined) throw fail(`the payload part is not valid base64url (${encodedPayload.length} characters)`);
  const signature = decodeBase64url(encodedSignature);
  if (signature === undefined || signature.length !== ED25519_SIGNATURE_BYTES) {
    throw fail(`the signature part is ${signature === undefined ? 'not valid base64url' : `${signature.length} bytes`}, expected ${ED25519_SIGNATURE_BYTES} bytes`);
  }

  const keyObject = verifyKeyOf(publicKey);
  if (keyObject === undefined) throw fail('the registered key is not an Ed25519 public key');
  // The signing input is the ASCII text "<header>.<payload>" exactly as received.
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`, 'ascii');
  let valid: boolean;
  try {
    valid = verify(null, signingInput, keyObject, signature);
  } catch (error) {
    throw fail(`Ed25519 verification failed (${errorMessage(error)})`, error);
  }
  if (!valid) throw fail('the Ed25519 signature does not match the payload');
  return payload;
}

function verifyKeyOf(key: EnvelopeKey): KeyObject | undefined {
  let keyObject = verifyKeys.get(key);
  if (keyObject === undefined) {
    keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
    if (keyObject.type !== 'public' || keyObject.asymmetricKeyType !== 'ed25519') return undefined;
    verifyKeys.set(key, keyObject);
  }
  return keyObject;
}

function headerUnreadable(kind: 'JWE' | 'JWS', reason: string, cause?: unknown): EnvelopeFormatError {
  return new EnvelopeFormatError(`The ${kind} protected header cannot be decoded: ${reason}.`, { cause });
}

import { KeyObject, createDecipheriv, createPublicKey, diffieHellman, type JsonWebKey } from 'node:crypto';
import { errorMessage } from '../appliance/common/errors.js';
import { EnvelopeDecryptionError } from './envelope-errors.js';
import { JWE_CONTENT_ALGORITHM, JWE_KEY_ALGORITHM, type EnvelopeKey } from './envelope.js';
import { concatKdf, concatKdfOtherInfo, decodeBase64url, unwrapAesKey } from './envelope-open-crypto.js';

/**
 * Decryption of the outer JWE of an envelope with `node:crypto`: ECDH-ES key agreement with the
 * sender's one-time key (`epk`), the Concat KDF, AES-256 key unwrap of the content key, then
 * AES-256-GCM with the encoded protected header as additional authenticated data. Only the
 * algorithms sealJson uses are accepted, and each failure is an EnvelopeDecryptionError whose
 * message names the offending value.
 */

/** The five parts of a compact JWE, each already checked against the base64url alphabet. */
export interface CompactJweParts {
  protectedHeader: string;
  encryptedKey: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

type RecipientCurve = 'X25519' | 'P-256';

interface RecipientKey {
  keyObject: KeyObject;
  curve: RecipientCurve;
}

const KEY_BITS = 256;
/** A 256-bit content key after AES key wrap: 32 bytes plus the 8-byte integrity block. */
const WRAPPED_KEY_BYTES = 40;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const COORDINATE_BYTES = 32;
/** JWK members that only private or secret keys have. An `epk` with one of them is malformed. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const CRYPTO_HINT = 'The ciphertext was altered, or it was encrypted to a different fleet key than the one configured here.';
const HEADER_HINT = `Envelopes must be sealed with ${JWE_KEY_ALGORITHM} and ${JWE_CONTENT_ALGORITHM} and no other JWE header options, as sealJson does.`;

/** OtherInfo without PartyUInfo and PartyVInfo, which is what sealJson's envelopes use. */
const PLAIN_OTHER_INFO = concatKdfOtherInfo(JWE_KEY_ALGORITHM, new Uint8Array(0), new Uint8Array(0), KEY_BITS);

/**
 * Curve and KeyObject of each recipient key seen so far. Only facts about the long-lived fleet key
 * are kept, and everything derived from a message's `epk` is computed fresh for that message.
 */
const recipientKeys = new WeakMap<EnvelopeKey, RecipientKey>();

/** Decrypt the JWE and return its plaintext. `header` is the decoded protected header of `parts`. */
export function decryptCompactJwe(parts: CompactJweParts, header: Record<string, unknown>, recipientKey: EnvelopeKey): Buffer {
  checkHeaderAlgorithms(header);
  const recipient = describeRecipientKey(recipientKey);
  const ephemeralKey = importEphemeralKey(header.epk, recipient.curve);
  const otherInfo = partyOtherInfo(header);

  const wrappedKey = decodePart(parts.encryptedKey, 'encrypted key', WRAPPED_KEY_BYTES);
  const iv = decodePart(parts.iv, 'initialisation vector', IV_BYTES);
  const tag = decodePart(parts.tag, 'authentication tag', TAG_BYTES);
  const ciphertext = decodePart(parts.ciphertext, 'ciphertext');

  let sharedSecret: Buffer;
  try {
    sharedSecret = diffieHellman({ privateKey: recipient.keyObject, publicKey: ephemeralKey });
  } catch (error) {
    // OpenSSL refuses, among others, an X25519 epk of small order, whose shared secret is all zeros.
    throw decryptionFailed(`the ${recipient.curve} key agreement with the epk failed (${errorMessage(error)})`, CRYPTO_HINT, error);
  }
  const keyEncryptionKey = concatKdf(sharedSecret, otherInfo, KEY_BITS);
  const contentKey = unwrapAesKey(keyEncryptionKey, wrappedKey);
  if (contentKey === undefined) {
    throw decryptionFailed('the AES key unwrap integrity check failed, so the content key was not wrapped for this fleet key and epk', CRYPTO_HINT);
  }

  const decipher = createDecipheriv('aes-256-gcm', contentKey, iv, { authTagLength: TAG_BYTES });
  // JWE authenticates the protected header exactly as encoded, so its base64url text is the additional data.
  decipher.setAAD(Buffer.from(parts.protectedHeader, 'ascii'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (error) {
    throw decryptionFailed('AES-GCM authentication failed, so the ciphertext, initialisation vector, tag or protected header was altered', CRYPTO_HINT, error);
  }
}

export function decryptionFailed(reason: string, hint: string, cause?: unknown): EnvelopeDecryptionError {
  return new EnvelopeDecryptionError(`The envelope could not be decrypted: ${reason}.`, { hint, cause });
}

/** JSON text of an untrusted header value, cut to 80 characters so a hostile value cannot flood a log line. */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    // JSON.parse reads nesting of any depth, but JSON.stringify recurses and throws RangeError
    // on an array or object nested a few thousand levels deep.
    text = `a JSON ${Array.isArray(value) ? 'array' : typeof value} nested too deeply to show`;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function checkHeaderAlgorithms(header: Record<string, unknown>): void {
  // A recipient must reject a JWE whose `crit` lists an extension it does not implement, and this one implements none.
  if (header.crit !== undefined) {
    throw decryptionFailed(`the JWE header marks ${quote(header.crit)} as critical extensions, which this receiver does not implement`, HEADER_HINT);
  }
  // NOTE: jose 6 inflates a `zip: "DEF"` payload, but this opener rejects it because sealJson never compresses.
  if (header.zip !== undefined) {
    throw decryptionFailed(`the JWE header asks for compression (zip ${quote(header.zip)}), which envelopes never use`, HEADER_HINT);
  }
  if (header.alg !== JWE_KEY_ALGORITHM) {
    throw decryptionFailed(`the JWE alg is ${quote(header.alg)}, expected "${JWE_KEY_ALGORITHM}"`, HEADER_HINT);
  }
  if (header.enc !== JWE_CONTENT_ALGORITHM) {
    throw decryptionFailed(`the JWE enc is ${quote(header.enc)}, expected "${JWE_CONTENT_ALGORITHM}"`, HEADER_HINT);
  }
}

function describeRecipientKey(key: EnvelopeKey): RecipientKey {
  const cached = recipientKeys.get(key);
  if (cached !== undefined) return cached;

  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
  const namedCurve = keyObject.asymmetricKeyDetails?.namedCurve;
  let curve: RecipientCurve;
  if (keyObject.type === 'private' && keyObject.asymmetricKeyType === 'x25519') curve = 'X25519';
  else if (keyObject.type === 'private' && keyObject.asymmetricKeyType === 'ec' && namedCurve === 'prime256v1') curve = 'P-256';
  else {
    const kind = `${keyObject.asymmetricKeyType ?? 'secret'}${namedCurve === undefined ? '' : ` (${namedCurve})`} ${keyObject.type}`;
    throw decryptionFailed(`the fleet key is a ${kind} key, expected an X25519 or P-256 private key`, 'Configure the fleet decryption key (X25519 by default) whose public half the devices encrypt to.');
  }

  const described = { keyObject, curve };
  recipientKeys.set(key, described);
  return described;
}

/** Import the sender's one-time public key from the `epk` header, which must be on the fleet key's curve. */
function importEphemeralKey(epk: unknown, curve: RecipientCurve): KeyObject {
  if (typeof epk !== 'object' || epk === null || Array.isArray(epk)) {
    throw decryptionFailed(`the JWE epk (ephemeral public key) is ${quote(epk)}, not a JWK object`, HEADER_HINT);
  }
  const jwk = epk as Record<string, unknown>;
  const privateMember = PRIVATE_JWK_MEMBERS.find((member) => Object.hasOwn(jwk, member));
  if (privateMember !== undefined) {
    throw decryptionFailed(`the JWE epk contains the private key member "${privateMember}"`, HEADER_HINT);
  }

  // jose 6.2 passes `key_ops` to WebCrypto as the key usages, which must be empty for an ECDH public key, so jose rejects any other value.
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.length === 0)) {
    throw decryptionFailed(`the JWE epk has key_ops ${quote(jwk.key_ops)}, but a one-time public key has no key operations`, HEADER_HINT);
  }

  const [kty, crv] = curve === 'X25519' ? ['OKP', 'X25519'] : ['EC', 'P-256'];
  if (jwk.kty !== kty || jwk.crv !== crv) {
    throw decryptionFailed(`the JWE epk has kty ${quote(jwk.kty)} and crv ${quote(jwk.crv)}, expected "${kty}" and "${crv}" for this fleet key`, HEADER_HINT);
  }
  checkCoordinate(jwk.x, 'x');
  const members: JsonWebKey = { kty, crv, x: jwk.x as string };
  if (curve === 'P-256') {
    checkCoordinate(jwk.y, 'y');
    members.y = jwk.y as string;
  }

  try {
    return createPublicKey({ key: members, format: 'jwk' });
  } catch (error) {
    // OpenSSL checks that a P-256 point lies on the curve, which stops invalid-curve attacks on the fleet key.
    throw decryptionFailed(`the JWE epk is not a valid ${crv} public key (${errorMessage(error)})`, HEADER_HINT, error);
  }
}

function checkCoordinate(value: unknown, name: 'x' | 'y'): void {
  const bytes = typeof value === 'string' ? decodeBase64url(value) : undefined;
  if (bytes === undefined || bytes.length !== COORDINATE_BYTES) {
    throw decryptionFailed(`the JWE epk ${name} is ${quote(value)}, expected ${COORDINATE_BYTES} bytes in base64url`, HEADER_HINT);
  }
}

/** Build the KDF's OtherInfo from the optional `apu` and `apv` headers (agreement PartyUInfo and PartyVInfo). */
function partyOtherInfo(header: Record<string, unknown>): Buffer {
  if (header.apu === undefined && header.apv === undefined) return PLAIN_OTHER_INFO;
  const partyUInfo = decodePartyInfo(header.apu, 'apu');
  const partyVInfo = decodePartyInfo(header.apv, 'apv');
  if (header.apu !== undefined && header.apv !== undefined && partyUInfo.equals(partyVInfo)) {
    throw decryptionFailed(`the JWE apu and apv are both ${quote(header.apu)}; they must differ`, HEADER_HINT);
  }
  return concatKdfOtherInfo(JWE_KEY_ALGORITHM, partyUInfo, partyVInfo, KEY_BITS);
}

function decodePartyInfo(value: unknown, name: 'apu' | 'apv'): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  const bytes = typeof value === 'string' ? decodeBase64url(value) : undefined;
  if (bytes === undefined) throw decryptionFailed(`the JWE ${name} is ${quote(value)}, not a base64url string`, HEADER_HINT);
  return bytes;
}

function decodePart(text: string, label: string, expectedBytes?: number): Buffer {
  if (text.length === 0) throw decryptionFailed(`the ${label} is missing`, CRYPTO_HINT);
  const bytes = decodeBase64url(text);
  if (bytes === undefined) throw decryptionFailed(`the ${label} is not valid base64url (${text.length} characters)`, CRYPTO_HINT);
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) {
    throw decryptionFailed(`the ${label} is ${bytes.length} bytes, expected ${expectedBytes}`, CRYPTO_HINT);
  }
  return bytes;
}

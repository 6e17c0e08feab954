import { createDecipheriv, hash } from 'node:crypto';

/**
 * The JOSE building blocks that `node:crypto` has no single call for: strict base64url decoding,
 * the Concat KDF of ECDH-ES (RFC 7518 §4.6.2) and AES key unwrap (RFC 3394) with its integrity
 * check. They are kept apart from the envelope checks so the published test vectors can reach them.
 */

const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;

/** Default initial value of AES key wrap (RFC 3394), which unwrapping checks for integrity. */
const KEY_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/**
 * Decode unpadded base64url. Returns undefined for a character outside the base64url alphabet, or
 * for a length of 4n + 1, which no byte string encodes. `Buffer.from` would silently skip both.
 */
export function decodeBase64url(text: string): Buffer | undefined {
  if (text.length % 4 === 1 || !BASE64URL_ALPHABET.test(text)) return undefined;
  return Buffer.from(text, 'base64url');
}

/**
 * Build the OtherInfo input of the Concat KDF for ECDH-ES (RFC 7518 §4.6.2). It is AlgorithmID,
 * PartyUInfo and PartyVInfo, each after its length as a 32-bit big-endian number, then SuppPubInfo,
 * the derived key length in bits. SuppPrivInfo is empty in JOSE.
 */
export function concatKdfOtherInfo(algorithmId: string, partyUInfo: Uint8Array, partyVInfo: Uint8Array, keyBits: number): Buffer {
  const algorithm = Buffer.from(algorithmId, 'ascii');
  const info = Buffer.alloc(4 + algorithm.length + 4 + partyUInfo.length + 4 + partyVInfo.length + 4);
  let offset = 0;
  for (const field of [algorithm, partyUInfo, partyVInfo]) {
    offset = info.writeUInt32BE(field.length, offset);
    info.set(field, offset);
    offset += field.length;
  }
  info.writeUInt32BE(keyBits, offset);
  return info;
}

/**
 * Derive `keyBits` bits from the ECDH shared secret Z with the single-step KDF of NIST SP 800-56A
 * (the "Concat KDF") over SHA-256: the key is the first bits of
 * SHA-256(counter ‖ Z ‖ OtherInfo) for counter = 1, 2, …, as RFC 7518 §4.6.2 requires.
 */
export function concatKdf(sharedSecret: Uint8Array, otherInfo: Uint8Array, keyBits: number): Buffer {
  if (!Number.isInteger(keyBits) || keyBits <= 0 || keyBits % 8 !== 0) {
    throw new RangeError(`The Concat KDF key length must be a positive multiple of 8 bits, got ${keyBits}.`);
  }
  const keyBytes = keyBits / 8;
  const rounds = Math.ceil(keyBytes / 32);
  const input = Buffer.alloc(4 + sharedSecret.length + otherInfo.length);
  input.set(sharedSecret, 4);
  input.set(otherInfo, 4 + sharedSecret.length);

  const output = Buffer.alloc(rounds * 32);
  for (let round = 1; round <= rounds; round++) {
    input.writeUInt32BE(round, 0);
    hash('sha256', input, 'buffer').copy(output, (round - 1) * 32);
  }
  return output.subarray(0, keyBytes);
}

/**
 * Unwrap a key wrapped with AES key wrap (RFC 3394) under a 128-, 192- or 256-bit key-encryption
 * key. Returns undefined when the wrapped key is not at least three whole 64-bit blocks, or when
 * the integrity check fails. A failed check means another key-encryption key or an altered input.
 */
export function unwrapAesKey(kek: Uint8Array, wrapped: Uint8Array): Buffer | undefined {
  if (kek.length !== 16 && kek.length !== 24 && kek.length !== 32) {
    throw new RangeError(`An AES key-encryption key has 16, 24 or 32 bytes, got ${kek.length}.`);
  }
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) return undefined;
  const decipher = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, KEY_WRAP_IV);
  try {
    // OpenSSL runs the whole unwrap in update() and fails there, not in final(), on a bad check value.
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    return undefined;
  }
}

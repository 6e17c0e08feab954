import type { KeyObject } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { FacegateError, errorMessage } from '../common/errors.js';
import { assertSigningKey, keyId } from '../../protocol/keys.js';

/**
 * Consent and withdrawal receipts: compact JWS (EdDSA) signed by the device's Ed25519 key, so a
 * worker, an employer or an inspector can check one offline with the device's public key. The
 * payload names forms by id, version and SHA-256; it contains no face data and no name.
 */

export const RECEIPT_TYPE = 'facegate-consent-receipt+jwt';

const form = z.strictObject({
  id: z.string(),
  version: z.string(),
  locale: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const common = {
  consentId: z.string().uuid(),
  subject: z.string(),
  purpose: z.string(),
  deviceId: z.string(),
  siteId: z.string(),
};

export const grantReceipt = z.strictObject({
  kind: z.literal('consent'),
  ...common,
  law: z.enum(['macau-pdpa', 'mainland-pipl']),
  forms: z.array(form).min(1),
  method: z.enum(['cli', 'kiosk']),
  witness: z.string().nullable(),
  /** RFC 3339 time of the confirmation step. */
  grantedAt: z.string(),
});

export const withdrawalReceipt = z.strictObject({
  kind: z.literal('withdrawal'),
  ...common,
  method: z.enum(['cli', 'kiosk', 'remote-command']),
  withdrawnAt: z.string(),
  /** Templates destroyed with the subject's key at withdrawal. */
  templatesDestroyed: z.number().int().min(0),
});

export const receiptPayload = z.discriminatedUnion('kind', [grantReceipt, withdrawalReceipt]);
export type ReceiptPayload = z.infer<typeof receiptPayload>;

export async function signReceipt(payload: ReceiptPayload, deviceKey: KeyObject): Promise<string> {
  assertSigningKey(deviceKey, 'private', 'device signing key');
  const body = new TextEncoder().encode(JSON.stringify(receiptPayload.parse(payload)));
  return new CompactSign(body).setProtectedHeader({ alg: 'EdDSA', typ: RECEIPT_TYPE, kid: keyId(deviceKey) }).sign(deviceKey);
}

export interface VerifiedReceipt {
  payload: ReceiptPayload;
  /** Key id (RFC 7638 thumbprint) of the key that signed it. */
  kid: string;
}

/**
 * Verify a receipt's signature with the device's public key and check its payload; throws
 * `consent.receipt_invalid`. The receipt is the compact JWS or its QR form (see receiptToQr).
 */
export async function verifyReceipt(receipt: string, devicePublicKey: KeyObject): Promise<VerifiedReceipt> {
  assertSigningKey(devicePublicKey, 'public', 'device public key');
  const trimmed = receipt.trim();
  let text = trimmed;
  if (trimmed.startsWith(RECEIPT_QR_PREFIX)) {
    try {
      text = receiptFromQr(trimmed);
    } catch (error) {
      throw invalid(`not a readable QR receipt (${errorMessage(error)})`, error);
    }
  }
  let header;
  try {
    header = decodeProtectedHeader(text);
  } catch (error) {
    throw invalid(`not a compact JWS (${errorMessage(error)})`, error);
  }
  if (header.typ !== RECEIPT_TYPE) throw invalid(`type ${String(header.typ)}, expected ${RECEIPT_TYPE}`);
  const expectedKid = keyId(devicePublicKey);
  if (header.kid !== expectedKid) throw invalid(`signed by key ${String(header.kid)}, but the public key given is ${expectedKid}`);

  let body: Uint8Array;
  try {
    ({ payload: body } = await compactVerify(text, devicePublicKey, { algorithms: ['EdDSA'] }));
  } catch (error) {
    throw invalid(`signature check failed (${errorMessage(error)})`, error);
  }
  let parsed;
  try {
    parsed = receiptPayload.safeParse(JSON.parse(new TextDecoder().decode(body)));
  } catch (error) {
    throw invalid('payload is not JSON', error);
  }
  if (!parsed.success) throw invalid(`payload does not match the receipt schema: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);
  return { payload: parsed.data, kid: expectedKid };
}

function invalid(detail: string, cause?: unknown): FacegateError {
  return new FacegateError('consent.receipt_invalid', `The receipt is not valid: ${detail}.`, {
    hint: 'Check that the receipt was copied whole and that the public key is the one of the device that issued it (`provision status` shows its key id).',
    params: { detail },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Start of a receipt's QR form; the digit is the format version. */
export const RECEIPT_QR_PREFIX = 'FGR1:';

/** The QR form is inflated to at most this many bytes, far above any receipt, so bad input cannot exhaust memory. */
const MAX_QR_RECEIPT_BYTES = 16_384;

/**
 * Encode the receipt as printed in its QR code: `FGR1:` and the base45 text (RFC 9285) of the
 * raw-deflated bytes `header length (2 bytes), header, payload length (2 bytes), payload,
 * signature`. It carries the same signed bytes as the JWS, which receiptFromQr rebuilds exactly,
 * and uses only QR alphanumeric characters, so the code needs version 18 where the JWS text would
 * need version 26 (error correction M, a two-form consent). `facegate consent verify` accepts both.
 */
export function receiptToQr(jws: string): string {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw invalid(`a compact JWS has 3 parts, this one has ${parts.length}`);
  const [header, payload, signature] = parts.map((part) => Buffer.from(part, 'base64url')) as [Buffer, Buffer, Buffer];
  // Buffer skips characters outside base64url, so only text that encodes back to itself is carried over.
  if ([header, payload, signature].some((part, index) => part.toString('base64url') !== parts[index])) throw invalid('a part is not canonical base64url');
  const packed = Buffer.concat([uint16(header.length), header, uint16(payload.length), payload, signature]);
  return RECEIPT_QR_PREFIX + encodeBase45(deflateRawSync(packed, { level: 9 }));
}

/** Rebuild the compact JWS from a receipt's QR form; throws a RangeError naming what is wrong. */
export function receiptFromQr(text: string): string {
  if (!text.startsWith(RECEIPT_QR_PREFIX)) throw new RangeError(`a QR receipt starts with ${RECEIPT_QR_PREFIX}`);
  let packed: Buffer;
  try {
    packed = inflateRawSync(decodeBase45(text.slice(RECEIPT_QR_PREFIX.length)), { maxOutputLength: MAX_QR_RECEIPT_BYTES });
  } catch (error) {
    if (error instanceof RangeError && !('code' in error)) throw error;
    throw new RangeError(`the compressed data is damaged (${errorMessage(error)})`);
  }
  let offset = 0;
  const take = (length: number, what: string): Buffer => {
    if (offset + length > packed.length) throw new RangeError(`the data ends inside the ${what}`);
    const part = packed.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  const header = take(take(2, 'header length').readUInt16BE(0), 'header');
  const payload = take(take(2, 'payload length').readUInt16BE(0), 'payload');
  const signature = packed.subarray(offset);
  if (signature.length === 0) throw new RangeError('the signature is missing');
  return [header, payload, signature].map((part) => part.toString('base64url')).join('.');
}

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** Base45 (RFC 9285). Its text never ends in a space, so trimming a scanned code loses nothing. */
export function encodeBase45(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const value = bytes[i]! * 256 + bytes[i + 1]!;
    text += BASE45[value % 45]! + BASE45[Math.floor(value / 45) % 45]! + BASE45[Math.floor(value / 2025)]!;
  }
  if (bytes.length % 2 === 1) {
    const value = bytes[bytes.length - 1]!;
    text += BASE45[value % 45]! + BASE45[Math.floor(value / 45)]!;
  }
  return text;
}

export function decodeBase45(text: string): Buffer {
  if (text.length % 3 === 1) throw new RangeError(`base45 text of ${text.length} characters is cut short`);
  const digits = Array.from(text, (char, index) => {
    const digit = BASE45.indexOf(char);
    if (digit < 0) throw new RangeError(`character ${JSON.stringify(char)} at ${index} is not base45`);
    return digit;
  });
  const bytes: number[] = [];
  for (let i = 0; i < digits.length; i += 3) {
    if (i + 2 < digits.length) {
      const value = digits[i]! + digits[i + 1]! * 45 + digits[i + 2]! * 2025;
      if (value > 0xffff) throw new RangeError(`base45 group at ${i} is above 65535`);
      bytes.push(value >> 8, value & 0xff);
    } else {
      const value = digits[i]! + digits[i + 1]! * 45;
      if (value > 0xff) throw new RangeError(`base45 group at ${i} is above 255`);
      bytes.push(value);
    }
  }
  return Buffer.from(bytes);
}

function uint16(value: number): Buffer {
  if (value > 0xffff) throw new RangeError(`a receipt part of ${value} bytes is too long for its QR form`);
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16BE(value);
  return buffer;
}

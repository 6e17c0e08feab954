import type { KeyObject } from 'node:crypto';
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

/** Verify a receipt's signature with the device's public key and check its payload; throws `consent.receipt_invalid`. */
export async function verifyReceipt(jws: string, devicePublicKey: KeyObject): Promise<VerifiedReceipt> {
  assertSigningKey(devicePublicKey, 'public', 'device public key');
  const text = jws.trim();
  const invalid = (detail: string, cause?: unknown): FacegateError =>
    new FacegateError('consent.receipt_invalid', `The receipt is not valid: ${detail}.`, {
      hint: 'Check that the receipt was copied whole and that the public key is the one of the device that issued it (`provision status` shows its key id).',
      params: { detail },
      ...(cause === undefined ? {} : { cause }),
    });
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

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { encode } from 'uqr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateSigningKeyPair, savePublicKey } from '../../protocol/keys.js';
import { runCli } from '../../test/helpers/cli.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { EXIT } from '../cli/context.js';
import { CONSENT_PURPOSE, FORM_VERSION } from './forms.js';
import { RECEIPT_QR_PREFIX, decodeBase45, encodeBase45, receiptFromQr, receiptToQr, signReceipt, verifyReceipt, type ReceiptPayload } from './receipt.js';

const keys = generateSigningKeyPair();
let dir: string;
let publicKeyFile: string;

/** A mainland worker's consent names two forms, the longest receipt the kiosk prints. */
const CONSENT: ReceiptPayload = {
  kind: 'consent',
  consentId: randomUUID(),
  subject: 'W0012345',
  purpose: CONSENT_PURPOSE,
  deviceId: 'gate-taipa-01',
  siteId: 'site-taipa',
  law: 'mainland-pipl',
  forms: [
    { id: 'macau-pdpa-notice', version: FORM_VERSION, locale: 'zh-Hans', sha256: 'a3'.repeat(32) },
    { id: 'pipl-separate-consent', version: FORM_VERSION, locale: 'zh-Hans', sha256: '5c'.repeat(32) },
  ],
  method: 'kiosk',
  witness: 'tech.lei',
  grantedAt: '2026-12-01T10:15:30.123+08:00',
};

beforeAll(() => {
  dir = makeTempDir('receipt-qr');
  publicKeyFile = path.join(dir, 'device.pub.pem');
  savePublicKey(publicKeyFile, keys.publicKey);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('base45', () => {
  it('matches the RFC 9285 examples', () => {
    expect(encodeBase45(Buffer.from('AB'))).toBe('BB8');
    expect(encodeBase45(Buffer.from('Hello!!'))).toBe('%69 VD92EX0');
    expect(encodeBase45(Buffer.from('base-45'))).toBe('UJCLQE7W581');
    expect(decodeBase45('QED8WEX0').toString()).toBe('ietf!');
  });

  it('rejects text that is not base45', () => {
    expect(() => decodeBase45('GGW')).toThrow(/above 65535/);
    expect(() => decodeBase45('ab')).toThrow(/not base45/);
    expect(() => decodeBase45('BB8B')).toThrow(/cut short/);
  });
});

describe('receipt QR form', () => {
  it('rebuilds the exact JWS', async () => {
    const jws = await signReceipt(CONSENT, keys.privateKey);
    const qr = receiptToQr(jws);
    expect(qr.startsWith(RECEIPT_QR_PREFIX)).toBe(true);
    expect(qr).toMatch(/^[0-9A-Z $%*+\-./:]+$/);
    expect(qr.endsWith(' ')).toBe(false);
    expect(receiptFromQr(qr)).toBe(jws);
    expect((await verifyReceipt(qr, keys.publicKey)).payload).toEqual(CONSENT);
  });

  it('needs a smaller QR code than the JWS', async () => {
    const jws = await signReceipt(CONSENT, keys.privateKey);
    const qr = receiptToQr(jws);
    const version = encode(qr, { ecc: 'M' }).version;
    expect(version).toBeLessThan(encode(jws, { ecc: 'M' }).version);
    // Version 20 is 97 modules wide: 0.72 mm a module on a 70 mm print.
    expect(version).toBeLessThanOrEqual(20);
  });

  it('is accepted by consent verify', async () => {
    const jws = await signReceipt(CONSENT, keys.privateKey);
    const file = path.join(dir, 'scanned.txt');
    fs.writeFileSync(file, `${receiptToQr(jws)}\n`);
    const run = await runCli(['consent', 'verify', file, '--public-key', publicKeyFile, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(run.stdout).toContain('W0012345');
    expect(run.stdout).toContain('pipl-separate-consent');
  });

  it('rejects a damaged or altered code', async () => {
    const jws = await signReceipt(CONSENT, keys.privateKey);
    const qr = receiptToQr(jws);
    await expect(verifyReceipt(qr.slice(0, -6), keys.publicKey)).rejects.toMatchObject({ code: 'consent.receipt_invalid' });
    await expect(verifyReceipt(`${RECEIPT_QR_PREFIX}HELLO`, keys.publicKey)).rejects.toMatchObject({ code: 'consent.receipt_invalid' });

    // A changed subject in the payload, re-packed with the old signature, fails the signature check.
    const [header, payload, signature] = jws.split('.') as [string, string, string];
    const altered = Buffer.from(payload, 'base64url').toString('utf8').replace('W0012345', 'W0099999');
    const forged = receiptToQr([header, Buffer.from(altered).toString('base64url'), signature].join('.'));
    await expect(verifyReceipt(forged, keys.publicKey)).rejects.toThrow(/signature check failed/);
  });

  it('rejects a JWS that is not canonical', () => {
    expect(() => receiptToQr('a.b')).toThrow(/3 parts/);
    expect(() => receiptToQr('ab!c.de.fg')).toThrow(/canonical/);
  });
});

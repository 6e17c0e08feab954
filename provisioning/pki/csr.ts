import { createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';

import { errorMessage } from '../../appliance/common/errors.js';
import { provisionError } from '../i18n/errors.js';
import { openssl } from './openssl.js';

/** Certificate signing request, as `provision sign` reads it. */
export interface CsrInfo {
  file: string;
  /** Subject fields in order, such as `[['O', 'facegate'], ['OU', 'macau-hq'], ['CN', 'gate-01']]`. */
  subject: Array<[string, string]>;
  commonName: string | undefined;
  /** The OU that `provision init` sets to the site id. */
  organisationalUnit: string | undefined;
  publicKey: KeyObject;
}

/**
 * Write a CSR for `keyFile` with subject `O=facegate, OU=<site>, CN=<device>`. openssl reads the
 * key from its file; the key never passes through this process's arguments or output.
 */
export async function createCsr(options: { keyFile: string; deviceId: string; siteId: string; out: string }): Promise<void> {
  const temporary = `${options.out}.${process.pid}.tmp`;
  await openssl(['req', '-new', '-sha256', '-key', options.keyFile, '-subj', `/O=facegate/OU=${options.siteId}/CN=${options.deviceId}`, '-out', temporary]);
  fs.chmodSync(temporary, 0o644);
  fs.renameSync(temporary, options.out);
}

/**
 * Read a CSR and check its self-signature, which proves the requester has the private key.
 * Raises `provision.csr_unreadable` or `provision.csr_bad_signature` naming the file.
 */
export async function readCsr(file: string): Promise<CsrInfo> {
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    throw provisionError('provision.csr_unreadable', { file, detail: errorMessage(error) }, error);
  }
  let output: string;
  try {
    output = (await openssl(['req', '-in', file, '-noout', '-subject', '-nameopt', 'sep_multiline,sname,esc_2253,esc_ctrl,utf8', '-pubkey'])).stdout;
  } catch (error) {
    throw provisionError('provision.csr_unreadable', { file, detail: errorMessage(error) }, error);
  }
  // OpenSSL 3.0 exits with 0 even when the self-signature fails, so the printed verdict decides.
  let verdict: string;
  try {
    const result = await openssl(['req', '-in', file, '-noout', '-verify']);
    verdict = `${result.stdout}\n${result.stderr}`;
  } catch (error) {
    throw provisionError('provision.csr_bad_signature', { file }, error);
  }
  if (!/verify OK/.test(verdict)) throw provisionError('provision.csr_bad_signature', { file });

  const pem = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/.exec(output)?.[0];
  if (pem === undefined) throw provisionError('provision.csr_unreadable', { file, detail: 'openssl printed no public key' });
  const subject = parseSubject(output);
  const field = (name: string): string | undefined => {
    const values = subject.filter(([key]) => key === name).map(([, value]) => value);
    return values.length === 1 ? values[0] : undefined;
  };
  return { file, subject, commonName: field('CN'), organisationalUnit: field('OU'), publicKey: createPublicKey(pem) };
}

/** Parse the `subject=` block that `-nameopt sep_multiline` prints: one indented `KEY=value` per line. */
function parseSubject(output: string): Array<[string, string]> {
  const start = output.indexOf('subject=');
  if (start < 0) return [];
  const fields: Array<[string, string]> = [];
  for (const line of output.slice(start + 'subject='.length).split('\n').slice(1)) {
    const match = /^\s+([A-Za-z0-9.]+)=(.*)$/.exec(line);
    if (match === null) break;
    fields.push([match[1]!, match[2]!]);
  }
  return fields;
}

/** Describe a public key for messages (`EC P-256`, `Ed25519`, `RSA 2048`). */
export function describePublicKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `EC ${details?.namedCurve === 'prime256v1' ? 'P-256' : details?.namedCurve === 'secp384r1' ? 'P-384' : (details?.namedCurve ?? '?')}`;
    case 'rsa':
      return `RSA ${details?.modulusLength ?? '?'}`;
    case 'ed25519':
      return 'Ed25519';
    default:
      return key.asymmetricKeyType ?? 'unknown';
  }
}

/** Key types a device certificate may carry: EC P-256 or P-384, Ed25519, or RSA of 2048 bits and more. */
export function isAcceptedKey(key: KeyObject): boolean {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return details?.namedCurve === 'prime256v1' || details?.namedCurve === 'secp384r1';
  if (key.asymmetricKeyType === 'rsa') return (details?.modulusLength ?? 0) >= 2048;
  return key.asymmetricKeyType === 'ed25519';
}

import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';

import { errorMessage } from '../../appliance/common/errors.js';

/** OID of the TLS client authentication extended key usage. */
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
const DAY_MS = 86_400_000;

/** Summary of one certificate for the technician. */
export interface CertificateSummary {
  subject: string;
  commonName: string | undefined;
  issuer: string;
  serial: string;
  validFrom: Date;
  validTo: Date;
  fingerprint256: string;
  isCa: boolean;
  /** Extended key usage OIDs; undefined when the certificate has no such extension (any use allowed). */
  extendedKeyUsage: string[] | undefined;
}

/** One reason a certificate cannot be installed, with the values its localised message names. */
export interface CertificateProblem {
  code: CertificateProblemCode;
  params: Record<string, string | number>;
}

export type CertificateProblemCode =
  | 'cert.unreadable'
  | 'cert.key_mismatch'
  | 'cert.cn_mismatch'
  | 'cert.expired'
  | 'cert.not_yet_valid'
  | 'cert.untrusted'
  | 'cert.is_ca'
  | 'cert.no_client_auth'
  | 'ca.unreadable'
  | 'ca.not_ca'
  | 'ca.expired';

/** Split a PEM bundle into its certificates; throws on a file with none or with a damaged block. */
export function parseCertificates(pem: string | Buffer): X509Certificate[] {
  const text = pem.toString();
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no "BEGIN CERTIFICATE" block found');
  return blocks.map((block) => new X509Certificate(block));
}

export function readCertificates(file: string): X509Certificate[] {
  return parseCertificates(fs.readFileSync(file));
}

export function summarise(certificate: X509Certificate): CertificateSummary {
  const usage = certificate.keyUsage as string[] | undefined;
  return {
    subject: oneLine(certificate.subject),
    commonName: subjectField(certificate.subject, 'CN'),
    issuer: oneLine(certificate.issuer),
    serial: certificate.serialNumber,
    validFrom: new Date(certificate.validFrom),
    validTo: new Date(certificate.validTo),
    fingerprint256: certificate.fingerprint256,
    isCa: certificate.ca,
    extendedKeyUsage: usage === undefined || usage.length === 0 ? undefined : usage,
  };
}

/** SHA-256 of the DER SubjectPublicKeyInfo, as hex pairs; the same for a private key and its certificate. */
export function publicKeyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** Whole days from `now` until the certificate expires; negative once it has expired. */
export function daysLeft(validTo: Date, now: Date): number {
  return Math.floor((validTo.getTime() - now.getTime()) / DAY_MS);
}

export type ExpiryLevel = 'ok' | 'soon' | 'critical' | 'expired' | 'not-yet-valid';

export interface ExpiryReport {
  file: string;
  commonName: string | undefined;
  validFrom: Date;
  validTo: Date;
  daysLeft: number;
  level: ExpiryLevel;
}

/** Days before expiry at which status reports `soon`, and then `critical`. */
export const EXPIRY_WARNING_DAYS = 30;
export const EXPIRY_CRITICAL_DAYS = 7;

/**
 * Read a certificate file and grade how close it is to expiry: `soon` within 30 days, `critical`
 * within 7. The daemon can publish `daysLeft` with its telemetry; `provision status` prints it.
 */
export function certificateExpiry(file: string, now: Date = new Date(), warningDays = EXPIRY_WARNING_DAYS): ExpiryReport {
  const [certificate] = readCertificates(file);
  const summary = summarise(certificate!);
  const left = daysLeft(summary.validTo, now);
  let level: ExpiryLevel = 'ok';
  if (summary.validFrom.getTime() > now.getTime()) level = 'not-yet-valid';
  else if (summary.validTo.getTime() <= now.getTime()) level = 'expired';
  else if (left < Math.min(EXPIRY_CRITICAL_DAYS, warningDays)) level = 'critical';
  else if (left < warningDays) level = 'soon';
  return { file, commonName: summary.commonName, validFrom: summary.validFrom, validTo: summary.validTo, daysLeft: left, level };
}

export interface DeviceCertificateCheck {
  certificate: X509Certificate;
  /** The device's TLS private key (or the pending one after a rotation). */
  privateKey: KeyObject;
  deviceId: string;
  /** CAs that may have signed the device certificate. */
  issuers: X509Certificate[];
  now: Date;
}

/**
 * List every reason the device certificate cannot be used: wrong key, wrong CN, outside its
 * validity, not signed by one of `issuers`, a CA certificate, or not allowed for client authentication.
 */
export function deviceCertificateProblems(check: DeviceCertificateCheck): CertificateProblem[] {
  const { certificate, privateKey, deviceId, issuers, now } = check;
  const summary = summarise(certificate);
  const problems: CertificateProblem[] = [];

  if (!certificate.checkPrivateKey(privateKey)) {
    problems.push({
      code: 'cert.key_mismatch',
      params: { certKey: publicKeyFingerprint(certificate.publicKey).slice(0, 23), deviceKey: publicKeyFingerprint(privateKey).slice(0, 23) },
    });
  }
  if (summary.commonName !== deviceId) {
    problems.push({ code: 'cert.cn_mismatch', params: { cn: summary.commonName ?? '(none)', device: deviceId } });
  }
  problems.push(...validityProblems(summary, now, 'cert'));
  if (summary.isCa) problems.push({ code: 'cert.is_ca', params: {} });
  if (summary.extendedKeyUsage !== undefined && !summary.extendedKeyUsage.includes(CLIENT_AUTH_OID)) {
    problems.push({ code: 'cert.no_client_auth', params: { usage: describeUsage(summary.extendedKeyUsage) } });
  }
  if (!issuers.some((issuer) => issuedBy(certificate, issuer))) {
    problems.push({ code: 'cert.untrusted', params: { issuer: summary.issuer } });
  }
  return problems;
}

/** Problems with a CA certificate the device is to trust. */
export function caCertificateProblems(certificate: X509Certificate, now: Date): CertificateProblem[] {
  const summary = summarise(certificate);
  const problems: CertificateProblem[] = [];
  if (!summary.isCa) problems.push({ code: 'ca.not_ca', params: { subject: summary.subject } });
  for (const problem of validityProblems(summary, now, 'ca')) problems.push(problem);
  return problems;
}

/** Check that `issuer` signed `certificate`: names chain and the signature verifies with the issuer's key. */
export function issuedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function validityProblems(summary: CertificateSummary, now: Date, prefix: 'cert' | 'ca'): CertificateProblem[] {
  if (summary.validTo.getTime() <= now.getTime()) {
    return [{ code: prefix === 'cert' ? 'cert.expired' : 'ca.expired', params: { date: isoDate(summary.validTo), now: isoDate(now) } }];
  }
  if (prefix === 'cert' && summary.validFrom.getTime() > now.getTime()) {
    return [{ code: 'cert.not_yet_valid', params: { date: isoDate(summary.validFrom), now: isoDate(now) } }];
  }
  return [];
}

const USAGE_NAMES: Record<string, string> = { [SERVER_AUTH_OID]: 'serverAuth', [CLIENT_AUTH_OID]: 'clientAuth' };

function describeUsage(oids: string[]): string {
  return oids.map((oid) => USAGE_NAMES[oid] ?? oid).join(', ');
}

/** `2025-06-01 16:00 +08:00`: Macau time, as consent and audit output show it, the same in every locale. */
export function isoDate(date: Date): string {
  const macau = new Date(date.getTime() + 8 * 3_600_000);
  return `${macau.toISOString().slice(0, 16).replace('T', ' ')} +08:00`;
}

/** Return one field of a subject as Node prints it (`CN=gate-01\nO=facegate`); undefined when absent or repeated. */
export function subjectField(subject: string, field: string): string | undefined {
  const values = subject
    .split('\n')
    .filter((line) => line.startsWith(`${field}=`))
    .map((line) => line.slice(field.length + 1));
  return values.length === 1 ? values[0] : undefined;
}

function oneLine(name: string): string {
  return name.split('\n').join(', ');
}

/** Parse a certificate file, turning any failure into a `cert.unreadable` style message. */
export function tryReadCertificates(file: string): { certificates: X509Certificate[] } | { error: string } {
  try {
    return { certificates: readCertificates(file) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

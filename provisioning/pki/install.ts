import { X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';

import { FacegateError, errorMessage } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import { assertEncryptionKey, keyId, loadPrivateKey, loadPublicKey, savePublicKey } from '../../protocol/keys.js';
import { provisionError, provisionErrors } from '../i18n/errors.js';
import { readIdentity, writeIdentity } from '../identity/identity.js';
import { chownAll, type Owner } from '../identity/owner.js';
import type { StatePaths } from '../paths.js';
import {
  caCertificateProblems,
  daysLeft,
  deviceCertificateProblems,
  parseCertificates,
  publicKeyFingerprint,
  summarise,
  type CertificateProblem,
  type CertificateSummary,
} from './certificate.js';
import { promotePendingKey } from './rotation.js';

/** A certificate that failed one or more checks; `problems` lists each, for a localised list. */
export class CertificateRejectedError extends FacegateError {
  constructor(
    readonly file: string,
    readonly problems: CertificateProblem[],
  ) {
    const params = { file, count: problems.length };
    super('provision.cert_rejected', `${provisionErrors.translate('en', 'provision.cert_rejected', params)} ${problems.map((problem) => problem.code).join(', ')}`, {
      hint: provisionErrors.translate('en', 'provision.cert_rejected.hint', params),
      params,
    });
    this.name = 'CertificateRejectedError';
  }
}

export interface InstallOptions {
  paths: StatePaths;
  /** Device certificate (PEM) signed for this device's CSR. */
  certFile: string;
  /** CA that signed the broker's certificate; installed as the broker CA. */
  caFile: string;
  /** CA that signed the device certificate, when it is not the broker CA. */
  clientCaFile?: string;
  /** Fleet encryption public key (X25519 or P-256). */
  fleetKeyFile: string;
  owner: Owner | undefined;
  logger: Logger;
  now?: Date;
}

export interface InstallResult {
  certificate: CertificateSummary;
  daysLeft: number;
  brokerCa: CertificateSummary[];
  fleetKeyId: string;
  /** The certificate belongs to the key made by `rotate-keys`, which is now the device key. */
  rotated: boolean;
}

/**
 * Check and install the device certificate, the broker CA and the fleet public key. Every check
 * runs before anything is written, so a rejected certificate leaves the device unchanged.
 */
export function installCertificates(options: InstallOptions): InstallResult {
  const { paths, logger } = options;
  const now = options.now ?? new Date();
  const identity = readIdentity(paths);
  const problems: CertificateProblem[] = [];

  const certificate = readOne(options.certFile, 'cert.unreadable', problems);
  const brokerCa = readBundle(options.caFile, now, problems);
  const issuers = options.clientCaFile === undefined ? brokerCa : readBundle(options.clientCaFile, now, problems);
  const fleetKey = readFleetKey(options.fleetKeyFile);

  let rotated = false;
  if (certificate !== undefined && issuers.length > 0) {
    const pending = fs.existsSync(paths.pendingTlsKey) ? loadPrivateKey(paths.pendingTlsKey) : undefined;
    rotated = pending !== undefined && certificate.checkPrivateKey(pending);
    const key: KeyObject = rotated ? pending! : loadPrivateKey(paths.tlsKey);
    problems.push(...deviceCertificateProblems({ certificate, privateKey: key, deviceId: identity.deviceId, issuers, now }));
  }
  if (problems.length > 0 || certificate === undefined) {
    logger.warn({ certFile: options.certFile, problems: problems.map((problem) => problem.code) }, 'device certificate rejected');
    throw new CertificateRejectedError(options.certFile, problems);
  }

  writeAtomically(paths.certificate, certificate.toString(), 0o644);
  writeAtomically(paths.brokerCa, brokerCa.map((ca) => ca.toString()).join(''), 0o644);
  savePublicKey(paths.fleetPublicKey, fleetKey, { overwrite: true });

  let updated = identity;
  if (rotated) {
    promotePendingKey(paths.pendingTlsKey, paths.tlsKey);
    updated = { ...updated, tlsKeyFingerprint: publicKeyFingerprint(certificate.publicKey) };
    if (fs.existsSync(paths.pendingSigningKey)) {
      promotePendingKey(paths.pendingSigningKey, paths.signingKey);
      fs.renameSync(paths.pendingSigningPublicKey, paths.signingPublicKey);
      updated = { ...updated, signingKeyId: keyId(loadPublicKey(paths.signingPublicKey)) };
    }
    writeIdentity(paths, updated);
  }
  chownAll([paths.certificate, paths.brokerCa, paths.fleetPublicKey, paths.tlsKey, paths.signingKey, paths.signingPublicKey, paths.identityFile], options.owner);

  const summary = summarise(certificate);
  logger.info(
    { deviceId: identity.deviceId, serial: summary.serial, validTo: summary.validTo.toISOString(), rotated, signingKeyId: updated.signingKeyId },
    'device certificate installed',
  );
  return { certificate: summary, daysLeft: daysLeft(summary.validTo, now), brokerCa: brokerCa.map(summarise), fleetKeyId: keyId(fleetKey), rotated };
}

function readOne(file: string, code: 'cert.unreadable', problems: CertificateProblem[]): X509Certificate | undefined {
  try {
    return parseCertificates(fs.readFileSync(file))[0];
  } catch (error) {
    problems.push({ code, params: { file, detail: errorMessage(error) } });
    return undefined;
  }
}

function readBundle(file: string, now: Date, problems: CertificateProblem[]): X509Certificate[] {
  let certificates: X509Certificate[];
  try {
    certificates = parseCertificates(fs.readFileSync(file));
  } catch (error) {
    problems.push({ code: 'ca.unreadable', params: { file, detail: errorMessage(error) } });
    return [];
  }
  for (const certificate of certificates) {
    for (const problem of caCertificateProblems(certificate, now)) problems.push({ ...problem, params: { ...problem.params, file } });
  }
  return certificates;
}

function readFleetKey(file: string): KeyObject {
  try {
    const key = loadPublicKey(file);
    assertEncryptionKey(key, 'public', 'fleet public key');
    return key;
  } catch (error) {
    throw provisionError('provision.fleet_key_invalid', { file, detail: errorMessage(error) }, error);
  }
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', mode);
  try {
    fs.fchmodSync(fd, mode);
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

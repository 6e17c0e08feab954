import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { errorMessage } from '../../appliance/common/errors.js';
import { idProblem } from '../../protocol/topics.js';
import { provisionError } from '../i18n/errors.js';
import { caCertificateProblems, daysLeft, readCertificates, summarise, type CertificateSummary } from './certificate.js';
import { describePublicKey, isAcceptedKey, readCsr } from './csr.js';
import { openssl } from './openssl.js';

/**
 * A small certificate authority for sites without a PKI of their own, kept in one folder on the
 * technician's machine or the site server: `ca.key` (0600, optionally encrypted with a passphrase),
 * `ca.crt`, and `issued.tsv`, one line per certificate it signed.
 */

export const CA_KEY_FILE = 'ca.key';
export const CA_CERT_FILE = 'ca.crt';
export const ISSUED_LOG_FILE = 'issued.tsv';

export interface SiteCaPaths {
  dir: string;
  key: string;
  cert: string;
  issuedLog: string;
}

export function siteCaPaths(dir: string): SiteCaPaths {
  return { dir, key: path.join(dir, CA_KEY_FILE), cert: path.join(dir, CA_CERT_FILE), issuedLog: path.join(dir, ISSUED_LOG_FILE) };
}

export interface CreateCaOptions {
  dir: string;
  /** Subject CN of the CA certificate. */
  name: string;
  days: number;
  /** File whose first line encrypts the CA key (AES-256-CBC, PKCS#8); unencrypted without it. */
  passphraseFile?: string;
}

/** Create the CA key and self-signed certificate; refuses a folder that already contains a CA key. */
export async function createSiteCa(options: CreateCaOptions): Promise<CertificateSummary> {
  const paths = siteCaPaths(options.dir);
  if (fs.existsSync(paths.key)) throw provisionError('provision.ca_exists', { dir: options.dir });
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeCaKey(paths.key, privateKey, options.passphraseFile);
  try {
    await openssl([
      'req', '-x509', '-new', '-sha256', '-key', paths.key, ...passIn(options.passphraseFile),
      '-subj', `/O=facegate/CN=${options.name.replace(/[/\\]/g, '-')}`,
      '-days', String(options.days), '-set_serial', randomSerial(), '-out', paths.cert,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ]);
  } catch (error) {
    fs.rmSync(paths.key, { force: true });
    throw error;
  }
  fs.chmodSync(paths.cert, 0o644);
  fs.writeFileSync(paths.issuedLog, 'serial\tsubject\tvalid_from\tvalid_to\tkind\tsha256\n', { mode: 0o644, flag: 'wx' });
  return summarise(readCertificates(paths.cert)[0]!);
}

function writeCaKey(file: string, key: KeyObject, passphraseFile: string | undefined): void {
  const pem =
    passphraseFile === undefined
      ? key.export({ format: 'pem', type: 'pkcs8' })
      : key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: readPassphrase(passphraseFile) });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, pem);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readPassphrase(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw provisionError('provision.file_unreadable', { file, detail: errorMessage(error) }, error);
  }
  const passphrase = text.split(/\r?\n/)[0] ?? '';
  if (passphrase.length < 8) throw provisionError('provision.passphrase_short', { file });
  return passphrase;
}

function passIn(passphraseFile: string | undefined): string[] {
  return passphraseFile === undefined ? [] : ['-passin', `file:${passphraseFile}`];
}

export interface SignOptions {
  caDir: string;
  csrFile: string;
  out: string;
  days: number;
  passphraseFile?: string;
  /** Issue a broker (server) certificate for these host names and IP addresses instead of a device certificate. */
  serverHosts?: string[];
  now?: Date;
}

export interface SignResult {
  certificate: CertificateSummary;
  /** Validity in days actually granted; shorter than requested when the CA expires sooner. */
  days: number;
  keyType: string;
  kind: 'device' | 'server';
}

/**
 * Sign a CSR with the site CA. A device CSR must carry a valid device id as its CN and gets a client
 * certificate. With `serverHosts` the result is a broker certificate for those names. The CA sets
 * the extensions and ignores those the CSR requests.
 */
export async function signCsr(options: SignOptions): Promise<SignResult> {
  const paths = siteCaPaths(options.caDir);
  if (!fs.existsSync(paths.key) || !fs.existsSync(paths.cert)) throw provisionError('provision.ca_missing', { dir: options.caDir });
  const now = options.now ?? new Date();
  const caCertificate = readCertificates(paths.cert)[0]!;
  const caProblems = caCertificateProblems(caCertificate, now);
  if (caProblems.length > 0) {
    throw provisionError('provision.ca_unusable', { file: paths.cert, date: summarise(caCertificate).validTo.toISOString().slice(0, 10) });
  }

  if (options.passphraseFile === undefined && fs.readFileSync(paths.key, 'utf8').includes('ENCRYPTED')) {
    throw provisionError('provision.ca_key_encrypted', { file: paths.key });
  }
  const csr = await readCsr(options.csrFile);
  if (!isAcceptedKey(csr.publicKey)) {
    throw provisionError('provision.csr_weak_key', { file: options.csrFile, key: describePublicKey(csr.publicKey) });
  }
  // A broker certificate keeps the subject of its CSR; clients check the subjectAltName entries.
  const server = options.serverHosts !== undefined && options.serverHosts.length > 0;
  if (!server) {
    const problem = csr.commonName === undefined ? 'is missing' : idProblem(csr.commonName);
    if (problem !== undefined) throw provisionError('provision.csr_bad_cn', { file: options.csrFile, cn: csr.commonName ?? '', problem });
  }

  // A certificate must not outlive the CA that signed it.
  const days = Math.max(1, Math.min(options.days, daysLeft(summarise(caCertificate).validTo, now)));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-sign-'));
  try {
    const extFile = path.join(work, 'extensions.cnf');
    fs.writeFileSync(extFile, extensions(server, options.serverHosts ?? []).join('\n') + '\n');
    const temporary = `${options.out}.${process.pid}.tmp`;
    await openssl([
      'x509', '-req', '-sha256', '-in', options.csrFile, '-CA', paths.cert, '-CAkey', paths.key, ...passIn(options.passphraseFile),
      '-set_serial', randomSerial(), '-days', String(days), '-extfile', extFile, '-out', temporary,
    ]);
    fs.chmodSync(temporary, 0o644);
    fs.renameSync(temporary, options.out);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }

  const certificate = summarise(readCertificates(options.out)[0]!);
  const line = [certificate.serial, certificate.subject, certificate.validFrom.toISOString(), certificate.validTo.toISOString(), server ? 'server' : 'device', certificate.fingerprint256];
  fs.appendFileSync(paths.issuedLog, `${line.join('\t')}\n`);
  return { certificate, days, keyType: describePublicKey(csr.publicKey), kind: server ? 'server' : 'device' };
}

function extensions(server: boolean, hosts: string[]): string[] {
  const common = ['basicConstraints=critical,CA:FALSE', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'];
  if (!server) return [...common, 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];
  const names = hosts.map((host) => (isIP(host) !== 0 ? `IP:${host}` : `DNS:${host}`));
  return [...common, 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${names.join(',')}`];
}

/** Make a random positive serial number of up to 127 bits (RFC 5280 allows up to 20 octets). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Throwaway test PKI made with the `openssl` command line tool (OpenSSL 3). It contains a CA, a
 * broker certificate for 127.0.0.1, ::1 and localhost, and client certificates whose CN is the
 * device id. A second "rogue" CA issues its own client certificates, to test that the broker and
 * the publisher reject certificates from the wrong CA. All keys are ECDSA P-256, valid for two days.
 *
 * File permissions: Mosquitto 2.0 started as root drops to the `mosquitto` user before it reads
 * its certificates. Rather than run the test broker as root (`user root`), the PKI folder is 0755,
 * the broker's own key is chowned to that user when we run as root, and every other private key
 * stays 0600 and owned by us.
 */

const run = promisify(execFile);
const DAYS = '2';

export interface CertificatePair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  server: CertificatePair;
  /** CA that signed nothing the broker trusts. */
  rogueCaFile: string;
  /** Client certificate (CN = name) signed by the test CA, created on first request. */
  clientCert(name: string): Promise<CertificatePair>;
  /** Client certificate (CN = name) signed by the rogue CA, created on first request. */
  rogueClientCert(name: string): Promise<CertificatePair>;
}

export interface PkiOptions {
  /** Folder to write into; created if missing. */
  dir: string;
  /** Hand the broker key to this uid/gid (the `mosquitto` user when running as root). */
  brokerOwner?: { uid: number; gid: number };
}

export async function createTestPki(options: PkiOptions): Promise<TestPki> {
  const dir = options.dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);

  const ca = await createCa(dir, 'ca', 'facegate test CA');
  const rogue = await createCa(dir, 'rogue-ca', 'facegate rogue CA');

  const server = await issue(dir, ca, 'server', 'localhost', [
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    'extendedKeyUsage=serverAuth',
  ]);
  if (options.brokerOwner !== undefined) fs.chownSync(server.key, options.brokerOwner.uid, options.brokerOwner.gid);

  const issued = new Map<string, Promise<CertificatePair>>();
  const clientCert = (authority: Authority, prefix: string) => (name: string) => {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`Test client name ${JSON.stringify(name)} is not a valid device id.`);
    const fileBase = `${prefix}${name}`;
    let pending = issued.get(fileBase);
    if (pending === undefined) {
      pending = issue(dir, authority, fileBase, name, ['extendedKeyUsage=clientAuth']);
      issued.set(fileBase, pending);
    }
    return pending;
  };

  return {
    dir,
    caFile: ca.cert,
    server,
    rogueCaFile: rogue.cert,
    clientCert: clientCert(ca, 'client-'),
    rogueClientCert: clientCert(rogue, 'rogue-client-'),
  };
}

interface Authority {
  cert: string;
  key: string;
}

async function createCa(dir: string, base: string, commonName: string): Promise<Authority> {
  const cert = path.join(dir, `${base}.crt`);
  const key = path.join(dir, `${base}.key`);
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  fs.chmodSync(key, 0o600);
  fs.chmodSync(cert, 0o644);
  return { cert, key };
}

async function issue(dir: string, ca: Authority, base: string, commonName: string, extensions: string[]): Promise<CertificatePair> {
  const key = path.join(dir, `${base}.key`);
  const csr = path.join(dir, `${base}.csr`);
  const cert = path.join(dir, `${base}.crt`);
  const extFile = path.join(dir, `${base}.ext`);
  fs.writeFileSync(extFile, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', ...extensions].join('\n') + '\n');

  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${commonName}`]);
  await openssl([
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', randomSerial(),
    '-out', cert, '-days', DAYS, '-extfile', extFile,
  ]);
  fs.chmodSync(key, 0o600);
  fs.chmodSync(cert, 0o644);
  fs.rmSync(csr);
  fs.rmSync(extFile);
  return { cert, key };
}

function randomSerial(): string {
  return `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString('hex')}`;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 20_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(error)}`);
  }
}

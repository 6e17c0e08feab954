import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateEncryptionKeyPair, generateSigningKeyPair, loadPrivateKey, savePublicKey } from '../../protocol/keys.js';
import { captureLogs } from '../../test/support/logs.js';
import { initDevice } from '../identity/init.js';
import { readIdentity } from '../identity/identity.js';
import { rotateKeys } from '../identity/rotate.js';
import { statePaths, type StatePaths } from '../paths.js';
import { signWithDates, tempDir } from '../testing.js';
import { certificateExpiry, summarise } from './certificate.js';
import { CertificateRejectedError, installCertificates } from './install.js';
import { openssl } from './openssl.js';
import { createSiteCa, signCsr, siteCaPaths } from './site-ca.js';

const root = tempDir();
const caDir = path.join(root, 'site-ca');
const rogueDir = path.join(root, 'rogue-ca');
const logs = captureLogs();
const fleetKey = path.join(root, 'fleet.pem');
let device: StatePaths;
let other: StatePaths;

beforeAll(async () => {
  await createSiteCa({ dir: caDir, name: 'test site CA', days: 365 });
  await createSiteCa({ dir: rogueDir, name: 'rogue CA', days: 365 });
  savePublicKey(fleetKey, generateEncryptionKeyPair('X25519').publicKey);
  device = statePaths(path.join(root, 'gate-01'));
  other = statePaths(path.join(root, 'gate-02'));
  await initDevice({ paths: device, deviceId: 'gate-01', siteId: 'mo-taipa', owner: undefined, logger: logs.logger });
  await initDevice({ paths: other, deviceId: 'gate-02', siteId: 'mo-taipa', owner: undefined, logger: logs.logger });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function rejection(run: () => unknown): CertificateRejectedError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CertificateRejectedError);
    return error as CertificateRejectedError;
  }
  throw new Error('expected the certificate to be rejected');
}

describe('createSiteCa', () => {
  it('writes a 0600 key and a CA certificate', () => {
    const paths = siteCaPaths(caDir);
    expect(fs.statSync(paths.key).mode & 0o777).toBe(0o600);
    const certificate = new X509Certificate(fs.readFileSync(paths.cert));
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toContain('CN=test site CA');
    expect(fs.readFileSync(paths.issuedLog, 'utf8').split('\n')[0]).toContain('serial');
  });

  it('refuses a folder that already holds a CA', async () => {
    await expect(createSiteCa({ dir: caDir, name: 'again', days: 365 })).rejects.toMatchObject({ code: 'provision.ca_exists' });
  });

  it('encrypts the key with a passphrase file', async () => {
    const dir = path.join(root, 'encrypted-ca');
    const passphrase = path.join(root, 'passphrase');
    fs.writeFileSync(passphrase, 'correct horse battery\n', { mode: 0o600 });
    await createSiteCa({ dir, name: 'encrypted', days: 30, passphraseFile: passphrase });
    expect(fs.readFileSync(siteCaPaths(dir).key, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    const out = path.join(root, 'encrypted-signed.crt');
    await signCsr({ caDir: dir, csrFile: device.csr, out, days: 10, passphraseFile: passphrase });
    expect(summarise(new X509Certificate(fs.readFileSync(out))).commonName).toBe('gate-01');
    await expect(signCsr({ caDir: dir, csrFile: device.csr, out, days: 10 })).rejects.toMatchObject({ code: 'provision.ca_key_encrypted' });
    fs.writeFileSync(passphrase, 'wrong passphrase\n');
    await expect(signCsr({ caDir: dir, csrFile: device.csr, out, days: 10, passphraseFile: passphrase })).rejects.toMatchObject({ code: 'provision.openssl_failed' });
  });
});

describe('signCsr', () => {
  it('issues a client certificate whose CN is the device id', async () => {
    const out = path.join(root, 'gate-01.crt');
    const result = await signCsr({ caDir, csrFile: device.csr, out, days: 90 });
    const certificate = new X509Certificate(fs.readFileSync(out));
    expect(result.kind).toBe('device');
    expect(result.keyType).toBe('EC P-256');
    expect(certificate.subject).toContain('CN=gate-01');
    expect(certificate.subject).toContain('OU=mo-taipa');
    expect(certificate.ca).toBe(false);
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(certificate.checkIssued(new X509Certificate(fs.readFileSync(siteCaPaths(caDir).cert)))).toBe(true);
    expect(fs.readFileSync(siteCaPaths(caDir).issuedLog, 'utf8')).toContain(result.certificate.fingerprint256);
  });

  it('issues a broker certificate for the hosts given', async () => {
    const key = path.join(root, 'broker.key');
    const csr = path.join(root, 'broker.csr');
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-subj', '/CN=broker', '-out', csr]);
    const out = path.join(root, 'broker.crt');
    await signCsr({ caDir, csrFile: csr, out, days: 90, serverHosts: ['127.0.0.1', 'broker.example.mo'] });
    const certificate = new X509Certificate(fs.readFileSync(out));
    expect(certificate.subjectAltName).toBe('IP Address:127.0.0.1, DNS:broker.example.mo');
    expect(certificate.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('caps the validity at the CA expiry', async () => {
    const result = await signCsr({ caDir, csrFile: device.csr, out: path.join(root, 'long.crt'), days: 3000 });
    expect(result.days).toBeLessThanOrEqual(365);
    expect(result.certificate.validTo.getTime()).toBeLessThanOrEqual(summarise(new X509Certificate(fs.readFileSync(siteCaPaths(caDir).cert))).validTo.getTime());
  });

  it('rejects a request whose signature does not verify', async () => {
    const tampered = path.join(root, 'tampered.csr');
    const lines = fs.readFileSync(device.csr, 'utf8').split('\n');
    // Flip one character in the middle of the base64 body, inside the signed subject.
    const line = lines[2]!;
    lines[2] = line.slice(0, 10) + (line[10] === 'A' ? 'B' : 'A') + line.slice(11);
    fs.writeFileSync(tampered, lines.join('\n'));
    await expect(signCsr({ caDir, csrFile: tampered, out: path.join(root, 'x.crt'), days: 10 })).rejects.toMatchObject({ code: 'provision.csr_bad_signature' });
  });

  it('rejects a CN that is not a device id', async () => {
    const csr = path.join(root, 'bad-cn.csr');
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(root, 'bad-cn.key'), '-subj', '/CN=gate 01', '-out', csr]);
    await expect(signCsr({ caDir, csrFile: csr, out: path.join(root, 'x.crt'), days: 10 })).rejects.toMatchObject({
      code: 'provision.csr_bad_cn',
      params: { cn: 'gate 01' },
    });
  });

  it('rejects a weak RSA key', async () => {
    const csr = path.join(root, 'weak.csr');
    await openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', path.join(root, 'weak.key'), '-subj', '/CN=gate-09', '-out', csr]);
    await expect(signCsr({ caDir, csrFile: csr, out: path.join(root, 'x.crt'), days: 10 })).rejects.toMatchObject({
      code: 'provision.csr_weak_key',
      params: { key: 'RSA 1024' },
    });
  });

  it('reports a missing CA folder', async () => {
    await expect(signCsr({ caDir: path.join(root, 'nowhere'), csrFile: device.csr, out: path.join(root, 'x.crt'), days: 10 })).rejects.toMatchObject({
      code: 'provision.ca_missing',
    });
  });
});

describe('installCertificates', () => {
  const install = (paths: StatePaths, certFile: string, extra: { caFile?: string; now?: Date } = {}) =>
    installCertificates({ paths, certFile, caFile: extra.caFile ?? siteCaPaths(caDir).cert, fleetKeyFile: fleetKey, owner: undefined, logger: logs.logger, ...(extra.now ? { now: extra.now } : {}) });

  it('installs a matching certificate, the CA and the fleet key', async () => {
    const cert = path.join(root, 'install-ok.crt');
    await signCsr({ caDir, csrFile: device.csr, out: cert, days: 90 });
    const result = install(device, cert);
    expect(result.rotated).toBe(false);
    expect(result.daysLeft).toBeGreaterThanOrEqual(89);
    expect(fs.readFileSync(device.certificate, 'utf8')).toBe(new X509Certificate(fs.readFileSync(cert)).toString());
    expect(fs.readFileSync(device.brokerCa, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(fs.readFileSync(device.fleetPublicKey, 'utf8')).toBe(fs.readFileSync(fleetKey, 'utf8'));
    expect(certificateExpiry(device.certificate).level).toBe('ok');
  });

  it('rejects the certificate of another device and changes nothing', async () => {
    const cert = path.join(root, 'gate-02.crt');
    await signCsr({ caDir, csrFile: other.csr, out: cert, days: 90 });
    const before = fs.readFileSync(device.certificate, 'utf8');
    const error = rejection(() => install(device, cert));
    expect(error.problems.map((problem) => problem.code)).toEqual(['cert.key_mismatch', 'cert.cn_mismatch']);
    expect(error.problems[1]!.params).toEqual({ cn: 'gate-02', device: 'gate-01' });
    expect(fs.readFileSync(device.certificate, 'utf8')).toBe(before);
  });

  it('rejects an expired certificate', async () => {
    const cert = path.join(root, 'expired.crt');
    await signWithDates(caDir, device.csr, cert, '20200101000000Z', '20200201000000Z');
    const error = rejection(() => install(device, cert));
    expect(error.problems).toEqual([{ code: 'cert.expired', params: { date: '2020-02-01 08:00 +08:00', now: expect.any(String) } }]);
  });

  it('rejects a certificate that is not valid yet', async () => {
    const cert = path.join(root, 'future.crt');
    await signWithDates(caDir, device.csr, cert, '20991201000000Z', '20991231000000Z');
    expect(rejection(() => install(device, cert)).problems.map((problem) => problem.code)).toEqual(['cert.not_yet_valid']);
  });

  it('rejects a certificate from another CA', async () => {
    const cert = path.join(root, 'rogue.crt');
    await signCsr({ caDir: rogueDir, csrFile: device.csr, out: cert, days: 30 });
    const error = rejection(() => install(device, cert));
    expect(error.problems.map((problem) => problem.code)).toEqual(['cert.untrusted']);
    expect(error.problems[0]!.params.issuer).toContain('rogue CA');
  });

  it('accepts another CA for the device certificate with clientCaFile', async () => {
    const cert = path.join(root, 'rogue.crt');
    const result = installCertificates({
      paths: device,
      certFile: cert,
      caFile: siteCaPaths(caDir).cert,
      clientCaFile: siteCaPaths(rogueDir).cert,
      fleetKeyFile: fleetKey,
      owner: undefined,
      logger: logs.logger,
    });
    expect(result.certificate.issuer).toContain('rogue CA');
    // Put the site CA's certificate back for the tests below.
    const good = path.join(root, 'install-ok.crt');
    install(device, good);
  });

  it('rejects a broker certificate and a CA certificate given as the device certificate', () => {
    expect(rejection(() => install(device, path.join(root, 'broker.crt'))).problems.map((problem) => problem.code)).toEqual([
      'cert.key_mismatch',
      'cert.cn_mismatch',
      'cert.no_client_auth',
    ]);
    // The CA certificate is self-signed, so it does chain to the CA given.
    expect(rejection(() => install(device, siteCaPaths(caDir).cert)).problems.map((problem) => problem.code)).toEqual([
      'cert.key_mismatch',
      'cert.cn_mismatch',
      'cert.is_ca',
    ]);
  });

  it('rejects a bad CA file and a non-certificate', () => {
    const good = path.join(root, 'install-ok.crt');
    expect(rejection(() => install(device, good, { caFile: good })).problems.map((problem) => problem.code)).toEqual(['ca.not_ca', 'cert.untrusted']);
    expect(rejection(() => install(device, fleetKey)).problems.map((problem) => problem.code)).toEqual(['cert.unreadable']);
  });

  it('rejects a fleet key that is not an encryption key', () => {
    const signingKey = path.join(root, 'not-fleet.pem');
    savePublicKey(signingKey, generateSigningKeyPair().publicKey);
    expect(() =>
      installCertificates({ paths: device, certFile: path.join(root, 'install-ok.crt'), caFile: siteCaPaths(caDir).cert, fleetKeyFile: signingKey, owner: undefined, logger: logs.logger }),
    ).toThrow(expect.objectContaining({ code: 'provision.fleet_key_invalid' }));
  });

  it('requires an identity', async () => {
    const blank = statePaths(path.join(root, 'blank'));
    expect(() => install(blank, path.join(root, 'install-ok.crt'))).toThrow(expect.objectContaining({ code: 'provision.not_initialised' }));
  });
});

describe('key rotation', () => {
  it('keeps the current key until the new certificate is installed, then destroys it', async () => {
    const paths = statePaths(path.join(root, 'gate-03'));
    await initDevice({ paths, deviceId: 'gate-03', siteId: 'mo-taipa', owner: undefined, logger: logs.logger });
    const firstCert = path.join(root, 'gate-03-first.crt');
    await signCsr({ caDir, csrFile: paths.csr, out: firstCert, days: 90 });
    installCertificates({ paths, certFile: firstCert, caFile: siteCaPaths(caDir).cert, fleetKeyFile: fleetKey, owner: undefined, logger: logs.logger });
    const oldTlsKey = fs.readFileSync(paths.tlsKey, 'utf8');
    const oldIdentity = readIdentity(paths);

    const rotation = await rotateKeys({ paths, owner: undefined, logger: logs.logger });
    expect(fs.readFileSync(paths.tlsKey, 'utf8')).toBe(oldTlsKey);
    expect(fs.statSync(paths.pendingTlsKey).mode & 0o777).toBe(0o600);
    expect(rotation.signingKeyId).not.toBe(oldIdentity.signingKeyId);

    // The old certificate still installs against the current key while the rotation is pending.
    expect(installCertificates({ paths, certFile: firstCert, caFile: siteCaPaths(caDir).cert, fleetKeyFile: fleetKey, owner: undefined, logger: logs.logger }).rotated).toBe(false);

    const newCert = path.join(root, 'gate-03-new.crt');
    await signCsr({ caDir, csrFile: paths.csr, out: newCert, days: 90 });
    const result = installCertificates({ paths, certFile: newCert, caFile: siteCaPaths(caDir).cert, fleetKeyFile: fleetKey, owner: undefined, logger: logs.logger });
    expect(result.rotated).toBe(true);
    expect(fs.existsSync(paths.pendingTlsKey)).toBe(false);
    expect(fs.existsSync(paths.pendingSigningKey)).toBe(false);
    expect(fs.existsSync(`${paths.tlsKey}.retired`)).toBe(false);
    expect(fs.readFileSync(paths.tlsKey, 'utf8')).not.toBe(oldTlsKey);
    expect(new X509Certificate(fs.readFileSync(paths.certificate)).checkPrivateKey(loadPrivateKey(paths.tlsKey))).toBe(true);
    expect(readIdentity(paths).signingKeyId).toBe(rotation.signingKeyId);

    // The first certificate belongs to the destroyed key now.
    expect(rejection(() => installCertificates({ paths, certFile: firstCert, caFile: siteCaPaths(caDir).cert, fleetKeyFile: fleetKey, owner: undefined, logger: logs.logger })).problems[0]!.code).toBe('cert.key_mismatch');
  });
});

describe('initDevice', () => {
  it('writes 0600 keys in 0700 folders and a CSR for the device', () => {
    expect(fs.statSync(device.keysDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(device.tlsDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(device.signingKey).mode & 0o777).toBe(0o600);
    expect(fs.statSync(device.tlsKey).mode & 0o777).toBe(0o600);
    expect(loadPrivateKey(device.signingKey).asymmetricKeyType).toBe('ed25519');
    expect(loadPrivateKey(device.tlsKey).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(readIdentity(device)).toMatchObject({ v: 1, deviceId: 'gate-01', siteId: 'mo-taipa' });
  });

  it('refuses a device that already has an identity', async () => {
    await expect(initDevice({ paths: device, deviceId: 'gate-01', siteId: 'mo-taipa', owner: undefined, logger: logs.logger })).rejects.toMatchObject({
      code: 'provision.already_initialised',
    });
  });

  it.each([
    ['gate/01', 'provision.invalid_device_id'],
    ['-gate', 'provision.invalid_device_id'],
    ['gate.01', 'provision.invalid_device_id'],
  ])('rejects the device id %s', async (deviceId, code) => {
    await expect(initDevice({ paths: statePaths(path.join(root, 'bad')), deviceId, siteId: 'site', owner: undefined, logger: logs.logger })).rejects.toMatchObject({ code });
  });

  it('never logs key material', () => {
    const keys = [device.signingKey, device.tlsKey, other.signingKey, other.tlsKey].map((file) => pemBody(fs.readFileSync(file, 'utf8')));
    const text = JSON.stringify(logs.lines());
    for (const body of keys) expect(text).not.toContain(body.slice(0, 40));
  });
});

function pemBody(pem: string): string {
  return pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('');
}

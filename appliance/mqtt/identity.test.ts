import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FacegateError } from '../common/errors.js';
import { readClientIdentity } from './identity.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-identity-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write a self-signed P-256 certificate with the given subject and return its path. */
function certificate(name: string, subject: string): string {
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', path.join(dir, `${name}.key`), '-out', cert, '-days', '1', '-subj', subject,
  ], { stdio: 'ignore' });
  return cert;
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof FacegateError ? error.code : `not a FacegateError: ${String(error)}`;
  }
  return undefined;
}

describe('readClientIdentity', () => {
  it('returns the CN and validity dates', () => {
    const identity = readClientIdentity(certificate('good', '/O=Facegate Test/CN=gate-01'));
    expect(identity.commonName).toBe('gate-01');
    expect(identity.validTo.getTime()).toBeGreaterThan(Date.now());
    expect(identity.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('rejects a certificate without a CN', () => {
    expect(codeOf(() => readClientIdentity(certificate('no-cn', '/O=Facegate Test')))).toBe('mqtt.cert_no_cn');
  });

  it('rejects a CN that is not a device id', () => {
    const file = certificate('wildcard', '/CN=gate\\+01');
    expect(codeOf(() => readClientIdentity(file))).toBe('mqtt.cert_bad_cn');
    expect(() => readClientIdentity(file)).toThrow('contains the MQTT wildcard "+"');
  });

  it('names a file that is not a certificate', () => {
    const file = path.join(dir, 'junk.crt');
    fs.writeFileSync(file, 'not a certificate');
    expect(codeOf(() => readClientIdentity(file))).toBe('mqtt.cert_unreadable');
    expect(() => readClientIdentity(file)).toThrow(file);
  });
});

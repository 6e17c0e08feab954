import { calculateJwkThumbprint } from 'jose';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FacegateError } from '../appliance/common/errors.js';
import {
  generateEncryptionKeyPair,
  generateSigningKeyPair,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  savePrivateKey,
  savePublicKey,
} from './keys.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-keys-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('keyId', () => {
  it.each([
    ['Ed25519', generateSigningKeyPair()],
    ['X25519', generateEncryptionKeyPair('X25519')],
    ['P-256', generateEncryptionKeyPair('P-256')],
  ])('matches the RFC 7638 thumbprint for %s', async (_, pair) => {
    const jwk = pair.publicKey.export({ format: 'jwk' });
    expect(keyId(pair.publicKey)).toBe(await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0]));
    expect(keyId(pair.privateKey)).toBe(keyId(pair.publicKey));
  });
});

describe('key files', () => {
  it.each(['device.pem', 'device.jwk'])('saves and loads %s with mode 0600', (name) => {
    const file = path.join(dir, name);
    const pair = generateSigningKeyPair();
    savePrivateKey(file, pair.privateKey);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const loaded = loadPrivateKey(file);
    expect(keyId(loaded)).toBe(keyId(pair.publicKey));
  });

  it.each(['fleet.pub.pem', 'fleet.pub.jwk'])('saves and loads public key %s', (name) => {
    const file = path.join(dir, name);
    const pair = generateEncryptionKeyPair();
    savePublicKey(file, pair.privateKey);
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(loadPublicKey(file).type).toBe('public');
    expect(keyId(loadPublicKey(file))).toBe(keyId(pair.publicKey));
  });

  it('writes the kid into JWK files', () => {
    const file = path.join(dir, 'kid.jwk');
    const pair = generateSigningKeyPair();
    savePublicKey(file, pair.publicKey);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).kid).toBe(keyId(pair.publicKey));
  });

  it('refuses to overwrite a key unless asked', () => {
    const file = path.join(dir, 'keep.pem');
    savePrivateKey(file, generateSigningKeyPair().privateKey);
    expect(() => savePrivateKey(file, generateSigningKeyPair().privateKey)).toThrow('already exists');
    const replacement = generateSigningKeyPair();
    savePrivateKey(file, replacement.privateKey, { overwrite: true });
    expect(keyId(loadPrivateKey(file))).toBe(keyId(replacement.publicKey));
  });

  it('rejects a private key readable by others', () => {
    const file = path.join(dir, 'loose.pem');
    savePrivateKey(file, generateSigningKeyPair().privateKey);
    fs.chmodSync(file, 0o644);
    const error = (() => {
      try {
        loadPrivateKey(file);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(FacegateError);
    expect((error as FacegateError).code).toBe('KEY_FILE_PERMISSIONS');
    expect((error as FacegateError).hint).toBe(`Run: chmod 600 ${file}`);
  });

  it('names the file when it is missing or not a key', () => {
    expect(() => loadPublicKey(path.join(dir, 'absent.pem'))).toThrow('absent.pem cannot be read');
    const junk = path.join(dir, 'junk.pem');
    fs.writeFileSync(junk, 'hello', { mode: 0o600 });
    expect(() => loadPrivateKey(junk)).toThrow('does not hold a valid private key');
  });
});

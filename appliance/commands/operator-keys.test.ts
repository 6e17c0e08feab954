import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureFacegateError } from '../gallery/test-helpers.js';
import { generateEncryptionKeyPair, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { operatorTestKey } from '../../test/support/commands.js';
import { makeTempDir } from '../../test/helpers/faces.js';
import { OperatorKeyring, operatorNameFromFile } from './operator-keys.js';

let dir: string;

beforeEach(() => {
  dir = makeTempDir('operator-keys');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('OperatorKeyring', () => {
  it('loads a folder and named files', () => {
    const lee = operatorTestKey('ops-lee');
    const chan = operatorTestKey('ops-chan');
    const extra = operatorTestKey('hr.wong@example.mo');
    savePublicKey(path.join(dir, 'ops-lee.public.pem'), lee.publicKey);
    savePublicKey(path.join(dir, 'ops-chan.pem'), chan.publicKey);
    fs.writeFileSync(path.join(dir, 'README.txt'), 'not a key');
    const other = makeTempDir('operator-extra');
    const extraFile = path.join(other, 'hr.wong@example.mo.public.pem');
    savePublicKey(extraFile, extra.publicKey);

    const keyring = OperatorKeyring.load({ dir, dirRequired: true, files: [extraFile] });
    expect(keyring.operators().map((operator) => operator.name).sort()).toEqual(['hr.wong@example.mo', 'ops-chan', 'ops-lee']);
    expect(keyring.resolve(lee.kid)?.name).toBe('ops-lee');
    expect(keyring.resolve(chan.kid)?.name).toBe('ops-chan');
    expect(keyring.resolve(extra.kid)?.name).toBe('hr.wong@example.mo');
    expect(keyring.resolve('unknown')).toBeUndefined();
    fs.rmSync(other, { recursive: true, force: true });
  });

  it('treats a missing default folder as no keys', () => {
    const keyring = OperatorKeyring.load({ dir: path.join(dir, 'operators'), dirRequired: false, files: [] });
    expect(keyring.operators()).toEqual([]);
  });

  it('rejects a missing configured folder', () => {
    const error = captureFacegateError(() => OperatorKeyring.load({ dir: path.join(dir, 'operators'), dirRequired: true, files: [] }), 'commands.operator_dir_unreadable');
    expect(error.message).toContain(path.join(dir, 'operators'));
  });

  it('rejects a private key in the folder', () => {
    savePrivateKey(path.join(dir, 'ops-lee.pem'), operatorTestKey().privateKey);
    const error = captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_invalid');
    expect(error.message).toContain('a private key must never be copied to a device');
  });

  it.each([
    ['before the public key', (secret: string, shared: string) => secret + shared],
    ['after the public key', (secret: string, shared: string) => shared + secret],
    ['behind a public key label', (secret: string) => `# -----BEGIN PUBLIC KEY-----\n${secret}`],
    ['encrypted, after the public key', (secret: string, shared: string) => shared + secret.replaceAll('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY')],
  ])('rejects a private key %s', (_, compose) => {
    const lee = operatorTestKey();
    const secret = lee.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const shared = lee.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    fs.writeFileSync(path.join(dir, 'ops-lee.public.pem'), compose(secret, shared));

    const error = captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_invalid');
    expect(error.message).toContain('a private key must never be copied to a device');
  });

  it('loads a key file with CRLF line ends', () => {
    const lee = operatorTestKey();
    const shared = lee.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    fs.writeFileSync(path.join(dir, 'ops-lee.public.pem'), shared.replaceAll('\n', '\r\n'));

    expect(OperatorKeyring.load({ dir, dirRequired: true, files: [] }).resolve(lee.kid)?.name).toBe('ops-lee');
  });

  it('rejects two public keys in one file', () => {
    const shared = [operatorTestKey(), operatorTestKey()].map((key) => key.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    fs.writeFileSync(path.join(dir, 'ops-lee.public.pem'), shared.join(''));

    const error = captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_invalid');
    expect(error.message).toContain('2 "PUBLIC KEY" PEM blocks');
  });

  it('rejects a key that is not Ed25519', () => {
    savePublicKey(path.join(dir, 'ops-lee.pem'), generateEncryptionKeyPair('X25519').publicKey);
    const error = captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_invalid');
    expect(error.message).toContain('must be an Ed25519 public key, got a x25519 public key');
  });

  it('rejects a file name that is no operator name', () => {
    savePublicKey(path.join(dir, 'ops lee.pem'), operatorTestKey().publicKey);
    captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_name');
  });

  it('rejects one key under two names', () => {
    const lee = operatorTestKey();
    savePublicKey(path.join(dir, 'ops-lee.pem'), lee.publicKey);
    savePublicKey(path.join(dir, 'ops-lee-copy.pem'), lee.publicKey);
    captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_key_duplicate');
  });

  it('rejects two keys under one name', () => {
    savePublicKey(path.join(dir, 'ops-lee.pem'), operatorTestKey().publicKey);
    savePublicKey(path.join(dir, 'ops-lee.public.pem'), operatorTestKey().publicKey);
    captureFacegateError(() => OperatorKeyring.load({ dir, dirRequired: true, files: [] }), 'commands.operator_name_duplicate');
  });
});

describe('operatorNameFromFile', () => {
  it.each([
    ['/keys/ops-lee.public.pem', 'ops-lee'],
    ['/keys/ops-lee.pem', 'ops-lee'],
    ['ops-lee.PUBLIC.PEM', 'ops-lee'],
    ['/keys/a.b.pem', 'a.b'],
  ])('names %s as %s', (file, name) => {
    expect(operatorNameFromFile(file)).toBe(name);
  });
});

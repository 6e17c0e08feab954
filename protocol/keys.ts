import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FacegateError, errorMessage } from '../appliance/common/errors.js';

/**
 * Envelope keys: Ed25519 device signing keys and X25519 (or P-256) fleet encryption keys, stored
 * as PEM (`.pem`: PKCS#8 private, SPKI public) or JWK (`.jwk`, `.json`) files. Private key files
 * are written with mode 0600 and rejected on load when group or others can read them.
 */

export type EncryptionCurve = 'X25519' | 'P-256';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function generateSigningKeyPair(): KeyPair {
  return generateKeyPairSync('ed25519');
}

export function generateEncryptionKeyPair(curve: EncryptionCurve = 'X25519'): KeyPair {
  return curve === 'X25519' ? generateKeyPairSync('x25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Key id: the RFC 7638 JWK SHA-256 thumbprint (base64url) of the public key. Accepts a private key too. */
export function keyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 7638: only the required members, in lexicographic order, no white space.
  let members: Record<string, unknown>;
  if (jwk.kty === 'OKP') members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  else if (jwk.kty === 'EC') members = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  else throw new TypeError(`Key type ${String(jwk.kty)} is not used by facegate envelopes.`);
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** Check that `key` is an Ed25519 key of the expected type (private to sign, public to verify). */
export function assertSigningKey(key: KeyObject, type: 'private' | 'public', role: string): void {
  if (key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new FacegateError(
      'KEY_WRONG_TYPE',
      `The ${role} must be an Ed25519 ${type} key, got ${describeKey(key)}.`,
      {
        hint: 'Generate an Ed25519 key pair with generateSigningKeyPair() or `openssl genpkey -algorithm ed25519`.',
        params: { role, expected: `Ed25519 ${type}`, actual: describeKey(key) },
      },
    );
  }
}

/** Check that `key` is an X25519 or P-256 key of the expected type. */
export function assertEncryptionKey(key: KeyObject, type: 'private' | 'public', role: string): void {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  const fits = key.asymmetricKeyType === 'x25519' || curve === 'prime256v1';
  if (key.type !== type || !fits) {
    throw new FacegateError(
      'KEY_WRONG_TYPE',
      `The ${role} must be an X25519 or P-256 ${type} key, got ${describeKey(key)}.`,
      {
        hint: 'Use the fleet encryption key (X25519 by default) that the fleet operator published.',
        params: { role, expected: `X25519 / P-256 ${type}`, actual: describeKey(key) },
      },
    );
  }
}

function describeKey(key: KeyObject): string {
  if (key.type === 'secret') return 'a secret key';
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return `a ${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` (${curve})`} ${key.type} key`;
}

function isJwkFile(file: string): boolean {
  const ext = path.extname(file).toLowerCase();
  return ext === '.jwk' || ext === '.json';
}

/**
 * Write a private key to `file` with mode 0600, through a temporary file and a rename so a crash
 * never leaves half a key. Refuses to replace an existing file unless `overwrite` is set.
 */
export function savePrivateKey(file: string, key: KeyObject, options: { overwrite?: boolean } = {}): void {
  if (key.type !== 'private') throw new TypeError(`savePrivateKey needs a private key, got a ${key.type} key.`);
  const text = isJwkFile(file)
    ? `${JSON.stringify({ ...key.export({ format: 'jwk' }), kid: keyId(key) }, null, 2)}\n`
    : key.export({ format: 'pem', type: 'pkcs8' }).toString();
  writeKeyFile(file, text, 0o600, options.overwrite ?? false);
}

/** Write a public key to `file` with mode 0644 (PEM SPKI, or JWK with its kid). */
export function savePublicKey(file: string, key: KeyObject, options: { overwrite?: boolean } = {}): void {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const text = isJwkFile(file)
    ? `${JSON.stringify({ ...publicKey.export({ format: 'jwk' }), kid: keyId(publicKey) }, null, 2)}\n`
    : publicKey.export({ format: 'pem', type: 'spki' }).toString();
  writeKeyFile(file, text, 0o644, options.overwrite ?? false);
}

function writeKeyFile(file: string, text: string, mode: number, overwrite: boolean): void {
  if (!overwrite && fs.existsSync(file)) {
    throw new FacegateError('KEY_FILE_EXISTS', `Key file ${file} already exists.`, {
      hint: 'Move the old key aside first, or pass overwrite if replacing it is intended.',
      params: { file },
    });
  }
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'wx', mode);
  try {
    fs.writeFileSync(fd, text);
    fs.fchmodSync(fd, mode); // the umask may have narrowed or widened the mode at creation
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

/** Load a private key; rejects a file that group or others can read, as OpenSSH does. */
export function loadPrivateKey(file: string): KeyObject {
  const stat = statKeyFile(file);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new FacegateError('KEY_FILE_PERMISSIONS', `Private key file ${file} has mode ${mode}, readable by other users.`, {
      hint: `Run: chmod 600 ${file}`,
      params: { file, mode },
    });
  }
  const text = fs.readFileSync(file, 'utf8');
  try {
    return isJwkFile(file)
      ? createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' })
      : createPrivateKey(text);
  } catch (error) {
    throw unreadableKey(file, 'private', error);
  }
}

export function loadPublicKey(file: string): KeyObject {
  statKeyFile(file);
  const text = fs.readFileSync(file, 'utf8');
  try {
    return isJwkFile(file) ? createPublicKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' }) : createPublicKey(text);
  } catch (error) {
    throw unreadableKey(file, 'public', error);
  }
}

function statKeyFile(file: string): fs.Stats {
  try {
    return fs.statSync(file);
  } catch (error) {
    throw new FacegateError('KEY_FILE_MISSING', `Key file ${file} cannot be read: ${errorMessage(error)}.`, {
      hint: 'Check the key path in the configuration, or provision the device keys again.',
      params: { file, detail: (error as NodeJS.ErrnoException).code ?? errorMessage(error) },
      cause: error,
    });
  }
}

function unreadableKey(file: string, kind: 'private' | 'public', error: unknown): FacegateError {
  return new FacegateError('KEY_FILE_INVALID', `Key file ${file} does not hold a valid ${kind} key: ${errorMessage(error)}.`, {
    hint: 'PEM files must be PKCS#8 (private) or SPKI (public); .jwk and .json files must hold one JWK.',
    params: { file, kind, detail: errorMessage(error) },
    cause: error,
  });
}

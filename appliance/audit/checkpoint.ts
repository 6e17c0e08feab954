import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SCHEMA_VERSION, clock, deviceId, macauTime, siteId } from '../../protocol/fields.js';
import { hexHash } from './entry.js';

/**
 * Signed checkpoints of the audit log, in the text format of the C2SP `tlog-checkpoint` and
 * `signed-note` specifications: the origin line, the tree size, the base64 Merkle root, then our
 * extension line with the wall time, a blank line and one Ed25519 signature line
 * `— <key name> base64(key hash || signature)`. The key hash is the first four bytes of
 * SHA-256(key name || "\n" || 0x01 || raw public key). The device signs with its envelope key,
 * so a checkpoint verifies offline, from an export, without the MQTT envelope around it.
 */

export const checkpointSchema = z.strictObject({
  v: z.literal(SCHEMA_VERSION),
  deviceId,
  siteId,
  /** Checkpoint number on this device, from 1 without gaps. */
  number: z.number().int().positive(),
  /** Entries covered: seq 1 to size. */
  size: z.number().int().min(0),
  rootHash: hexHash,
  wallTime: macauTime,
  clock,
  /** The signed note; size, root and time in it must equal the fields above. */
  note: z.string().min(1).max(2048),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

const ED25519_SIGNATURE_TYPE = 0x01;
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/;

/** Origin line of a device's log; it is also the key name in the signature line. */
export function checkpointOrigin(siteId: string, deviceId: string): string {
  return `facegate/v1/${siteId}/${deviceId}/audit`;
}

/** The part of the note that is signed: origin, size, root and extension lines, each ending in a newline. */
export function checkpointBody(origin: string, size: number, rootHex: string, wallTime: string): string {
  return `${origin}\n${size}\n${Buffer.from(rootHex, 'hex').toString('base64')}\ntime ${wallTime}\n`;
}

function rawPublicKey(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError(`Checkpoints are signed with Ed25519 keys, got a ${publicKey.asymmetricKeyType ?? 'unknown'} key.`);
  }
  return Buffer.from(jwk.x, 'base64url');
}

/** Four-byte key hash of the signed-note format. */
export function noteKeyHash(keyName: string, key: KeyObject): Buffer {
  return createHash('sha256')
    .update(keyName)
    .update('\n')
    .update(Buffer.from([ED25519_SIGNATURE_TYPE]))
    .update(rawPublicKey(key))
    .digest()
    .subarray(0, 4);
}

export interface CheckpointFields {
  siteId: string;
  deviceId: string;
  number: number;
  size: number;
  rootHash: string;
  wallTime: string;
  clock: Checkpoint['clock'];
}

/** Sign a checkpoint with the device's Ed25519 private key. */
export function signCheckpoint(fields: CheckpointFields, privateKey: KeyObject): Checkpoint {
  const origin = checkpointOrigin(fields.siteId, fields.deviceId);
  const body = checkpointBody(origin, fields.size, fields.rootHash, fields.wallTime);
  const signature = sign(null, Buffer.from(body), privateKey);
  const line = `\u2014 ${origin} ${Buffer.concat([noteKeyHash(origin, privateKey), signature]).toString('base64')}\n`;
  return checkpointSchema.parse({ v: SCHEMA_VERSION, ...fields, note: `${body}\n${line}` });
}

export type CheckpointProblem = 'malformed' | 'fields-differ' | 'unknown-key' | 'bad-signature';

export interface CheckpointCheck {
  ok: boolean;
  problem?: CheckpointProblem;
  message?: string;
}

/**
 * Check that the note matches the checkpoint's fields and carries a valid signature by
 * `publicKey` under the device's key name. Extra signature lines by other keys are ignored, as
 * the signed-note format allows cosigners.
 */
export function verifyCheckpoint(checkpoint: Checkpoint, publicKey: KeyObject): CheckpointCheck {
  const origin = checkpointOrigin(checkpoint.siteId, checkpoint.deviceId);
  const split = checkpoint.note.indexOf('\n\n');
  if (split < 0) return { ok: false, problem: 'malformed', message: 'the note has no blank line before its signatures' };
  const body = checkpoint.note.slice(0, split + 1);
  const expected = checkpointBody(origin, checkpoint.size, checkpoint.rootHash, checkpoint.wallTime);
  if (body !== expected) {
    return { ok: false, problem: 'fields-differ', message: `the signed text does not state origin ${origin}, size ${checkpoint.size} and root ${checkpoint.rootHash}` };
  }

  const keyHash = noteKeyHash(origin, publicKey);
  const lines = checkpoint.note.slice(split + 2).split('\n').filter((line) => line !== '');
  for (const line of lines) {
    const match = SIGNATURE_LINE.exec(line);
    if (match === null) return { ok: false, problem: 'malformed', message: `signature line ${JSON.stringify(line.slice(0, 80))} is not "— name base64"` };
    const [, name, encoded] = match;
    const blob = Buffer.from(encoded!, 'base64');
    if (name !== origin || blob.length !== 68 || !blob.subarray(0, 4).equals(keyHash)) continue;
    const valid = verify(null, Buffer.from(body), publicKey, blob.subarray(4));
    return valid ? { ok: true } : { ok: false, problem: 'bad-signature', message: `the signature by ${origin} does not verify` };
  }
  return { ok: false, problem: 'unknown-key', message: `no signature by the registered key of ${origin}` };
}

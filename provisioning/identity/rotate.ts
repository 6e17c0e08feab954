import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';

import type { Logger } from '../../appliance/common/logger.js';
import { generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { shredIfPresent } from '../lifecycle/shred.js';
import type { StatePaths } from '../paths.js';
import { createCsr } from '../pki/csr.js';
import { readIdentity } from './identity.js';
import { chownAll, type Owner } from './owner.js';

export interface RotateResult {
  /** A previous rotation was still waiting for its certificate; its keys were destroyed. */
  replacedPending: boolean;
  /** Key id of the new signing key, for the fleet to accept once the new keys are in use. */
  signingKeyId: string;
  csr: string;
}

/**
 * Start a key rotation: make a new TLS key and signing key beside the current ones (`*.next`) and a
 * new CSR. The daemon keeps using the current keys until `install-cert` installs a certificate for
 * the new CSR, which promotes both new keys and destroys the old ones.
 */
export async function rotateKeys(options: { paths: StatePaths; owner: Owner | undefined; logger: Logger }): Promise<RotateResult> {
  const { paths, logger } = options;
  const identity = readIdentity(paths);
  const replacedPending = cancelRotation(paths);

  const signing = generateSigningKeyPair();
  savePrivateKey(paths.pendingSigningKey, signing.privateKey);
  savePublicKey(paths.pendingSigningPublicKey, signing.publicKey);
  const tls = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  savePrivateKey(paths.pendingTlsKey, tls.privateKey);
  await createCsr({ keyFile: paths.pendingTlsKey, deviceId: identity.deviceId, siteId: identity.siteId, out: paths.csr });
  chownAll([paths.pendingSigningKey, paths.pendingSigningPublicKey, paths.pendingTlsKey, paths.csr], options.owner);

  const signingKeyId = keyId(signing.publicKey);
  logger.info({ deviceId: identity.deviceId, signingKeyId, replacedPending }, 'key rotation started; waiting for the new certificate');
  return { replacedPending, signingKeyId, csr: paths.csr };
}

/** Destroy the keys of an unfinished rotation; returns whether there were any. */
export function cancelRotation(paths: StatePaths): boolean {
  const pending = [paths.pendingTlsKey, paths.pendingSigningKey, paths.pendingSigningPublicKey].filter((file) => fs.existsSync(file));
  for (const file of pending) shredIfPresent(file);
  return pending.length > 0;
}

export function rotationPending(paths: StatePaths): boolean {
  return fs.existsSync(paths.pendingTlsKey);
}

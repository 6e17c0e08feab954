import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';

import type { Logger } from '../../appliance/common/logger.js';
import { generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { provisionError } from '../i18n/errors.js';
import type { StatePaths } from '../paths.js';
import { createCsr } from '../pki/csr.js';
import { publicKeyFingerprint } from '../pki/certificate.js';
import { chownAll, type Owner } from './owner.js';
import { assertDeviceId, assertSiteId, writeIdentity, type DeviceIdentity } from './identity.js';

export interface InitOptions {
  paths: StatePaths;
  deviceId: string;
  siteId: string;
  owner: Owner | undefined;
  logger: Logger;
  now?: Date;
}

/**
 * Give a blank device its identity: an Ed25519 signing key for events, an EC P-256 key for TLS, a
 * CSR whose CN is the device id, and identity.json. Keys are made here on the device, written 0600
 * into 0700 folders, and never printed or logged.
 */
export async function initDevice(options: InitOptions): Promise<DeviceIdentity> {
  const { paths, deviceId, siteId, logger } = options;
  assertDeviceId(deviceId);
  assertSiteId(siteId);
  for (const file of [paths.identityFile, paths.signingKey, paths.tlsKey]) {
    if (fs.existsSync(file)) throw provisionError('provision.already_initialised', { stateDir: paths.stateDir, file });
  }

  fs.mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(paths.tlsDir, { recursive: true, mode: 0o700 });

  const signing = generateSigningKeyPair();
  savePrivateKey(paths.signingKey, signing.privateKey);
  savePublicKey(paths.signingPublicKey, signing.publicKey);

  const tls = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  savePrivateKey(paths.tlsKey, tls.privateKey);
  await createCsr({ keyFile: paths.tlsKey, deviceId, siteId, out: paths.csr });

  const identity: DeviceIdentity = {
    v: 1,
    deviceId,
    siteId,
    createdAt: (options.now ?? new Date()).toISOString(),
    signingKeyId: keyId(signing.publicKey),
    tlsKeyFingerprint: publicKeyFingerprint(tls.publicKey),
  };
  writeIdentity(paths, identity);
  chownAll(
    [paths.stateDir, paths.keysDir, paths.tlsDir, paths.signingKey, paths.signingPublicKey, paths.tlsKey, paths.csr, paths.identityFile],
    options.owner,
  );
  logger.info({ deviceId, siteId, signingKeyId: identity.signingKeyId, csr: paths.csr }, 'device identity created');
  return identity;
}

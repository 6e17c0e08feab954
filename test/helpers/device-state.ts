import fs from 'node:fs';

import pino from 'pino';

import { generateSigningKeyPair, savePrivateKey, savePublicKey } from '../../protocol/keys.js';
import { writeIdentity } from '../../provisioning/identity/identity.js';
import { statePaths } from '../../provisioning/paths.js';
import { RosterStore } from '../../provisioning/roster/store.js';
import type { Worker } from '../../provisioning/roster/worker.js';

/**
 * Fill `stateDir` as `facegate provision init` and `provision roster import` would: a signing key
 * pair, the identity of device gate-01 at site-taipa, and a roster of `workers`.
 */
export function provisionTestDevice(stateDir: string, workers: readonly Worker[]): void {
  const paths = statePaths(stateDir);
  fs.mkdirSync(paths.keysDir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateSigningKeyPair();
  savePrivateKey(paths.signingKey, privateKey);
  savePublicKey(paths.signingPublicKey, publicKey);
  writeIdentity(paths, { v: 1, deviceId: 'gate-01', siteId: 'site-taipa', createdAt: new Date().toISOString(), signingKeyId: 'unused', tlsKeyFingerprint: 'unused' });
  const roster = RosterStore.open({ stateDir, logger: pino({ level: 'silent' }) });
  try {
    roster.importWorkers(workers, { source: 'roster.csv', now: new Date() });
  } finally {
    roster.close();
  }
}

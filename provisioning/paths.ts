import path from 'node:path';

import { DEFAULT_STATE_DIR } from '../appliance/common/paths.js';
import type { FacegateConfig } from '../appliance/config/index.js';

/** Configuration file the daemon's systemd unit reads. */
export const DEFAULT_CONFIG_FILE = '/etc/facegate/facegate.yaml';

export { DEFAULT_STATE_DIR };

/**
 * Files of one device's state folder. The TLS and key paths match the defaults the configuration
 * loader fills in (`resolveDerivedPaths`), and a configuration that sets them explicitly overrides them.
 */
export interface StatePaths {
  stateDir: string;
  /** Device and site id written by `provision init`. */
  identityFile: string;
  keysDir: string;
  tlsDir: string;
  signingKey: string;
  signingPublicKey: string;
  /** Rotated signing key waiting for `install-cert`. */
  pendingSigningKey: string;
  pendingSigningPublicKey: string;
  tlsKey: string;
  /** Rotated TLS key waiting for a certificate. */
  pendingTlsKey: string;
  csr: string;
  certificate: string;
  brokerCa: string;
  fleetPublicKey: string;
  rosterDb: string;
  galleryDb: string;
  outboxDb: string;
}

export function statePaths(stateDir: string, config?: FacegateConfig): StatePaths {
  const under = (...parts: string[]): string => path.join(stateDir, ...parts);
  const tlsKey = config?.mqtt.keyFile ?? under('tls', 'client.key');
  const signingKey = config?.keys.deviceKeyFile ?? under('keys', 'device-signing-key.pem');
  return {
    stateDir,
    identityFile: under('identity.json'),
    keysDir: under('keys'),
    tlsDir: under('tls'),
    signingKey,
    signingPublicKey: publicKeyPath(signingKey),
    pendingSigningKey: `${signingKey}.next`,
    pendingSigningPublicKey: `${publicKeyPath(signingKey)}.next`,
    tlsKey,
    pendingTlsKey: `${tlsKey}.next`,
    csr: under('tls', 'client.csr'),
    certificate: config?.mqtt.certFile ?? under('tls', 'client.crt'),
    brokerCa: config?.mqtt.caFile ?? under('tls', 'ca.pem'),
    fleetPublicKey: config?.keys.fleetPublicKeyFile ?? under('keys', 'fleet-public-key.pem'),
    rosterDb: under('roster.db'),
    galleryDb: under('gallery.db'),
    outboxDb: under('outbox.db'),
  };
}

/** `device-signing-key.pem` → `device-signing-key.pub.pem`. */
function publicKeyPath(privateKeyFile: string): string {
  const extension = path.extname(privateKeyFile);
  return `${privateKeyFile.slice(0, privateKeyFile.length - extension.length)}.pub${extension || '.pem'}`;
}

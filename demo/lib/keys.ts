import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DemoKeys {
  /** Device Ed25519 signing key (PKCS#8 PEM, 0600), as `keys.deviceKeyFile`. */
  deviceKeyFile: string;
  /** Its public half, which the fleet registers for the device. */
  devicePublicKeyFile: string;
  /** Fleet X25519 private key (0600), which only the fleet side holds. */
  fleetPrivateKeyFile: string;
  /** Fleet public key, as `keys.fleetPublicKeyFile`. */
  fleetPublicKeyFile: string;
}

/** Make the device signing key and the fleet encryption key pair with openssl, as a technician would. */
export async function generateEnvelopeKeys(dir: string, options: { fleetCurve?: 'X25519' | 'P-256' } = {}): Promise<DemoKeys> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys: DemoKeys = {
    deviceKeyFile: path.join(dir, 'device-signing-key.pem'),
    devicePublicKeyFile: path.join(dir, 'device-public-key.pem'),
    fleetPrivateKeyFile: path.join(dir, 'fleet-private-key.pem'),
    fleetPublicKeyFile: path.join(dir, 'fleet-public-key.pem'),
  };
  await openssl(['genpkey', '-algorithm', 'ed25519', '-out', keys.deviceKeyFile]);
  await openssl(['pkey', '-in', keys.deviceKeyFile, '-pubout', '-out', keys.devicePublicKeyFile]);
  if ((options.fleetCurve ?? 'X25519') === 'X25519') {
    await openssl(['genpkey', '-algorithm', 'x25519', '-out', keys.fleetPrivateKeyFile]);
  } else {
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keys.fleetPrivateKeyFile]);
  }
  await openssl(['pkey', '-in', keys.fleetPrivateKeyFile, '-pubout', '-out', keys.fleetPublicKeyFile]);
  fs.chmodSync(keys.deviceKeyFile, 0o600);
  fs.chmodSync(keys.fleetPrivateKeyFile, 0o600);
  return keys;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 20_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.slice(0, 3).join(' ')} failed: ${stderr.trim() || String(error)}`);
  }
}

import fs from 'node:fs';

import { errorMessage } from '../../appliance/common/errors.js';
import { provisionError } from '../i18n/errors.js';
import type { StatePaths } from '../paths.js';

/** Device identity in `<stateDir>/identity.json`, written by `provision init`; it contains no secret. */
export interface DeviceIdentity {
  v: 1;
  deviceId: string;
  siteId: string;
  /** ISO 8601 time of `provision init`. */
  createdAt: string;
  /** RFC 7638 thumbprint of the current signing public key; the fleet looks events up by it. */
  signingKeyId: string;
  /** SHA-256 of the current TLS public key (SPKI), as printed by `provision status`. */
  tlsKeyFingerprint: string;
}

// Device and site ids become MQTT topic levels; the same rule as `device.id` in the configuration schema.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function assertDeviceId(value: string): void {
  if (!IDENTIFIER.test(value)) throw provisionError('provision.invalid_device_id', { value });
}

export function assertSiteId(value: string): void {
  if (!IDENTIFIER.test(value)) throw provisionError('provision.invalid_site_id', { value });
}

export function hasIdentity(paths: StatePaths): boolean {
  return fs.existsSync(paths.identityFile);
}

/** Read the identity; raises `provision.not_initialised` when the device has none yet. */
export function readIdentity(paths: StatePaths): DeviceIdentity {
  let text: string;
  try {
    text = fs.readFileSync(paths.identityFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw provisionError('provision.not_initialised', { stateDir: paths.stateDir }, error);
    throw provisionError('provision.identity_invalid', { file: paths.identityFile, detail: errorMessage(error) }, error);
  }
  let data: Partial<DeviceIdentity>;
  try {
    data = JSON.parse(text) as Partial<DeviceIdentity>;
  } catch (error) {
    throw provisionError('provision.identity_invalid', { file: paths.identityFile, detail: errorMessage(error) }, error);
  }
  const fields = ['deviceId', 'siteId', 'createdAt', 'signingKeyId', 'tlsKeyFingerprint'] as const;
  const missing = fields.filter((field) => typeof data[field] !== 'string');
  if (data.v !== 1 || missing.length > 0) {
    const detail = data.v !== 1 ? `version ${String(data.v)}, expected 1` : `missing ${missing.join(', ')}`;
    throw provisionError('provision.identity_invalid', { file: paths.identityFile, detail });
  }
  return data as DeviceIdentity;
}

/** Write the identity through a temporary file and a rename, mode 0644. */
export function writeIdentity(paths: StatePaths, identity: DeviceIdentity): void {
  const temporary = `${paths.identityFile}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o644 });
  fs.renameSync(temporary, paths.identityFile);
}

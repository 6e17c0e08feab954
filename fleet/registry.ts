import type { KeyObject } from 'node:crypto';
import { FacegateError, errorMessage } from '../appliance/common/errors.js';
import type { RegisteredSigner } from '../protocol/envelope.js';
import { assertEncryptionKey, assertSigningKey, keyId, loadPrivateKey, loadPublicKey } from '../protocol/keys.js';

/**
 * The keys the fleet trusts: each registered device's Ed25519 public key, looked up by its kid
 * (RFC 7638 thumbprint) when an envelope is opened, and the fleet's own decryption keys by kid.
 */

export interface RegisteredDevice {
  deviceId: string;
  siteId: string;
  name?: string | undefined;
  kid: string;
  publicKey: KeyObject;
}

export class DeviceRegistry {
  private readonly byKid = new Map<string, RegisteredDevice>();
  private readonly byId = new Map<string, RegisteredDevice>();

  constructor(devices: Iterable<RegisteredDevice> = []) {
    for (const device of devices) this.add(device);
  }

  /** Load each device's public key file; throws FacegateError `fleet.device_key` naming the device and file. */
  static load(devices: ReadonlyArray<{ id: string; site: string; publicKey: string; name?: string | undefined }>): DeviceRegistry {
    const registry = new DeviceRegistry();
    for (const device of devices) {
      let publicKey: KeyObject;
      try {
        publicKey = loadPublicKey(device.publicKey);
        assertSigningKey(publicKey, 'public', `public key of device ${device.id}`);
      } catch (error) {
        throw new FacegateError('fleet.device_key', `Device ${device.id}: ${errorMessage(error)}`, {
          hint: 'Give each device the Ed25519 public key file written when it was provisioned.',
          params: { device: device.id, file: device.publicKey, detail: errorMessage(error) },
          cause: error,
        });
      }
      registry.add({ deviceId: device.id, siteId: device.site, name: device.name, kid: keyId(publicKey), publicKey });
    }
    return registry;
  }

  add(device: RegisteredDevice): void {
    const other = this.byKid.get(device.kid);
    if (other !== undefined && other.deviceId !== device.deviceId) {
      throw new FacegateError('fleet.device_key_shared', `Devices ${other.deviceId} and ${device.deviceId} have the same public key (kid ${device.kid}).`, {
        hint: 'Each device needs its own key pair; provision one of them again.',
        params: { device: device.deviceId, other: other.deviceId, kid: device.kid },
      });
    }
    this.byKid.set(device.kid, device);
    this.byId.set(device.deviceId, device);
  }

  /** Signer lookup for openEvent / openAuditMessage. */
  readonly resolve = (kid: string): RegisteredSigner | undefined => {
    const device = this.byKid.get(kid);
    return device === undefined ? undefined : { publicKey: device.publicKey, deviceId: device.deviceId, siteId: device.siteId };
  };

  device(deviceId: string): RegisteredDevice | undefined {
    return this.byId.get(deviceId);
  }

  devices(): RegisteredDevice[] {
    return [...this.byId.values()];
  }
}

/** Fleet decryption keys by kid, for envelopes encrypted to any of them. */
export class FleetKeyring {
  private readonly keys = new Map<string, KeyObject>();

  constructor(keys: KeyObject[]) {
    for (const key of keys) {
      assertEncryptionKey(key, 'private', 'fleet decryption key');
      this.keys.set(keyId(key), key);
    }
  }

  static load(files: readonly string[]): FleetKeyring {
    return new FleetKeyring(files.map((file) => loadPrivateKey(file)));
  }

  readonly resolve = (kid: string | undefined): KeyObject | undefined => (kid === undefined ? undefined : this.keys.get(kid));
}

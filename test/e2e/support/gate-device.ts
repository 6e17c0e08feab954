import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../appliance/common/logger.js';
import type { ConfigInput } from '../../../appliance/config/schema.js';
import { enrolPhotos, type CastMember } from '../../../demo/lib/cast.js';
import { gateConfig, writeConfig } from '../../../demo/lib/config.js';
import { buildGateVideo, type Segment } from '../../../demo/lib/video.js';
import { generateEncryptionKeyPair, generateSigningKeyPair, keyId, savePrivateKey, savePublicKey } from '../../../protocol/keys.js';
import type { TestBroker } from '../../support/mosquitto.js';
import { enrolSubjects } from './enrol.js';

/** The fleet's X25519 key pair as files, shared by every device of a test. */
export interface FleetKeyFiles {
  privateKeyFile: string;
  publicKeyFile: string;
  kid: string;
}

export function createFleetKeyFiles(dir: string): FleetKeyFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateEncryptionKeyPair('X25519');
  const files = { privateKeyFile: path.join(dir, 'fleet-private-key.pem'), publicKeyFile: path.join(dir, 'fleet-public-key.pem'), kid: keyId(pair.publicKey) };
  savePrivateKey(files.privateKeyFile, pair.privateKey);
  savePublicKey(files.publicKeyFile, pair.publicKey);
  return files;
}

/**
 * One gate as a technician leaves it for `facegate run`: its own Ed25519 signing key, a gallery
 * with enrolled workers, and configuration files naming the broker certificate issued for its id.
 */
export interface GateDevice {
  readonly deviceId: string;
  readonly siteId: string;
  readonly dir: string;
  readonly stateDir: string;
  readonly deviceKeyFile: string;
  readonly devicePublicKeyFile: string;
  readonly deviceKid: string;
  /** Worker id to the pseudonym this gate's gallery derives for it. */
  readonly pseudonyms: Map<string, string>;
  /** Write `<name>.yaml` for `facegate run`: the broker certificate issued for this gate, and `video` played once. */
  writeConfig(name: string, settings: { broker: TestBroker; fleet: FleetKeyFiles; video: string; overrides?: Partial<ConfigInput> }): string;
}

export interface GateDeviceOptions {
  /** Parent folder; the gate gets `<dir>/<deviceId>`. */
  dir: string;
  deviceId: string;
  siteId: string;
  dataDir: string;
  enrol: readonly CastMember[];
  logger: Logger;
}

export async function prepareGateDevice(options: GateDeviceOptions): Promise<GateDevice> {
  const dir = path.join(options.dir, options.deviceId);
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(path.join(dir, 'keys'), { recursive: true, mode: 0o700 });
  const signing = generateSigningKeyPair();
  const deviceKeyFile = path.join(dir, 'keys', 'device-signing-key.pem');
  const devicePublicKeyFile = path.join(dir, 'keys', 'device-public-key.pem');
  savePrivateKey(deviceKeyFile, signing.privateKey);
  savePublicKey(devicePublicKeyFile, signing.publicKey);

  const pseudonyms = await enrolSubjects(
    stateDir,
    options.enrol.map((member) => ({ subjectId: member.subjectId, displayName: member.displayName, photos: enrolPhotos(options.dataDir, member) })),
    options.logger,
  );

  return {
    deviceId: options.deviceId,
    siteId: options.siteId,
    dir,
    stateDir,
    deviceKeyFile,
    devicePublicKeyFile,
    deviceKid: keyId(signing.publicKey),
    pseudonyms,
    writeConfig(name, { broker, fleet, video, overrides = {} }) {
      const pair = broker.clientCert(options.deviceId);
      const config = gateConfig(
        {
          deviceId: options.deviceId,
          siteId: options.siteId,
          stateDir,
          brokerUrl: broker.url,
          caFile: broker.caFile,
          certFile: pair.cert,
          keyFile: pair.key,
          deviceKeyFile,
          fleetPublicKeyFile: fleet.publicKeyFile,
          camera: { type: 'file', path: video },
        },
        { log: { level: 'info' }, ...overrides },
      );
      return writeConfig(path.join(dir, `${name}.yaml`), config);
    },
  };
}

/** Render `segments` (photos held to the camera, or the empty scene) into an H.264 video at `file`. */
export async function buildVideo(file: string, segments: readonly Segment[]): Promise<string> {
  await buildGateVideo(file, segments, { workDir: `${file}-stills` });
  return file;
}

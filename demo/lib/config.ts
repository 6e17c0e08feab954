import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../appliance/config/schema.js';
import type { TestBroker } from '../../test/support/mosquitto.js';
import type { DemoKeys } from './keys.js';

export interface GateConfigSettings {
  deviceId: string;
  siteId: string;
  stateDir: string;
  brokerUrl: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  deviceKeyFile: string;
  fleetPublicKeyFile: string;
  /** Camera section; a video file played once by default. */
  camera: ConfigInput['camera'];
  direction?: 'in' | 'out';
  logLevel?: 'debug' | 'info' | 'warn';
}

/** Settings for device `deviceId` of a test broker, with the envelope keys made for it. */
export function loopbackSettings(
  broker: TestBroker,
  keys: DemoKeys,
  device: { deviceId: string; siteId: string; stateDir: string; camera: ConfigInput['camera'] },
): GateConfigSettings {
  const pair = broker.clientCert(device.deviceId);
  return {
    ...device,
    brokerUrl: broker.url,
    caFile: broker.caFile,
    certFile: pair.cert,
    keyFile: pair.key,
    deviceKeyFile: keys.deviceKeyFile,
    fleetPublicKeyFile: keys.fleetPublicKeyFile,
  };
}

/** Configuration for a daemon on this machine: simulated GPIO, a loopback broker, residency limited to loopback. */
export function gateConfig(settings: GateConfigSettings, overrides: Partial<ConfigInput> = {}): ConfigInput {
  return {
    device: { id: settings.deviceId, site: settings.siteId, direction: settings.direction ?? 'in', locale: 'en' },
    stateDir: settings.stateDir,
    camera: settings.camera,
    decision: { votesRequired: 3, trackTimeoutMs: 1_500, debounceMs: 60_000, maxTrackAgeMs: 15_000 },
    door: {
      gpio: { type: 'simulated' },
      relay: { line: 'GPIO17', pulseMs: 1_000 },
      leds: { green: 'GPIO22', red: 'GPIO27', amber: 'GPIO23' },
      buzzer: { line: 'GPIO24' },
      exitButton: { line: 'GPIO5' },
      doorContact: { line: 'GPIO6' },
    },
    mqtt: {
      url: settings.brokerUrl,
      caFile: settings.caFile,
      certFile: settings.certFile,
      keyFile: settings.keyFile,
      drainRatePerS: 1_000,
      backoffMinMs: 200,
      backoffMaxMs: 2_000,
    },
    residency: { allowedBrokers: ['127.0.0.1', 'localhost'] },
    keys: { deviceKeyFile: settings.deviceKeyFile, fleetPublicKeyFile: settings.fleetPublicKeyFile },
    log: { level: settings.logLevel ?? 'info' },
    ...overrides,
  };
}

/** Write a configuration as YAML; returns the file. */
export function writeConfig(file: string, config: ConfigInput): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `# Written by the facegate demo and end-to-end tests.\n${stringify(config)}`, { mode: 0o600 });
  return file;
}

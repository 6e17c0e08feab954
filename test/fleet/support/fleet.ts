import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../appliance/common/logger.js';
import { parseFleetConfig, type FleetConfigInput } from '../../../fleet/config.js';
import { FleetMonitor } from '../../../fleet/monitor.js';
import { savePrivateKey, savePublicKey } from '../../../protocol/keys.js';
import type { EnvelopeTestKeys } from '../../support/events.js';
import type { TestBroker } from '../../support/mosquitto.js';
import type { SimDevice } from './sim-device.js';

/** Write the keys of the fleet and its devices to `dir` and build a fleet monitor for the test broker. */
export function createTestFleet(options: {
  broker: TestBroker;
  dir: string;
  fleet: EnvelopeTestKeys['fleet'];
  devices: Array<Pick<SimDevice, 'deviceId' | 'siteId' | 'keys'>>;
  store: FleetConfigInput['store'];
  clientId: string;
  overrides?: Partial<FleetConfigInput>;
}): FleetMonitor {
  fs.mkdirSync(options.dir, { recursive: true });
  const fleetKeyFile = path.join(options.dir, 'fleet-enc.pem');
  if (!fs.existsSync(fleetKeyFile)) savePrivateKey(fleetKeyFile, options.fleet.privateKey);
  const devices = options.devices.map((device) => {
    const file = path.join(options.dir, `${device.deviceId}.pub.pem`);
    if (!fs.existsSync(file)) savePublicKey(file, device.keys.device.publicKey);
    return { id: device.deviceId, site: device.siteId, publicKey: file };
  });
  const pair = options.broker.clientCert('fleet');
  const config = parseFleetConfig(
    {
      broker: { url: options.broker.url, caFile: options.broker.caFile, certFile: pair.cert, keyFile: pair.key, clientId: options.clientId, shareGroup: 'test-fleet' },
      fleetKeys: [fleetKeyFile],
      devices,
      store: options.store,
      http: { host: '127.0.0.1', port: 0, locale: 'zh-Hant' },
      ...options.overrides,
    },
    path.join(options.dir, 'fleet.yaml'),
  );
  return new FleetMonitor({ config, logger: silentLogger(), sweepIntervalMs: 200 });
}

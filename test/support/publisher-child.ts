/**
 * Child process that runs one publisher until it is killed, for tests of what the broker does
 * when a device dies without a DISCONNECT (power loss, SIGKILL). argv[2] is a JSON object with
 * url, caFile, certFile, keyFile, siteId and stateDir. Prints `connected` on standard output
 * after the first CONNACK.
 */
import { silentLogger } from '../../appliance/common/logger.js';
import { Outbox } from '../../appliance/outbox/outbox.js';
import { MqttPublisher } from '../../appliance/mqtt/publisher.js';
import { readClientIdentity } from '../../appliance/mqtt/identity.js';

const settings = JSON.parse(process.argv[2]!) as {
  url: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  siteId: string;
  stateDir: string;
};
const logger = silentLogger();
const deviceId = readClientIdentity(settings.certFile).commonName;
const outbox = Outbox.open({ stateDir: settings.stateDir, deviceId, logger });
const publisher = new MqttPublisher({
  url: settings.url,
  tls: { caFile: settings.caFile, certFile: settings.certFile, keyFile: settings.keyFile },
  siteId: settings.siteId,
  outbox,
  logger,
  firmware: '0.1.0-child',
  models: {},
});
publisher.on('connected', () => process.stdout.write('connected\n'));
publisher.start();

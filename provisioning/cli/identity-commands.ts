import { parseCommandArgs } from '../../appliance/cli/args.js';
import { EXIT, UsageError } from '../../appliance/cli/context.js';
import { initDevice } from '../identity/init.js';
import { SERVICE_USER, chooseOwner } from '../identity/owner.js';
import { cancelRotation, rotateKeys } from '../identity/rotate.js';
import { certMessages } from './messages/certs.js';
import { TARGET_OPTIONS, locateDevice } from './device.js';
import { printer, type ProvisionIo } from './io.js';

/** `provision init --site S --device D`: keys and CSR made on the device. */
export async function runInit(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, {
    ...TARGET_OPTIONS,
    site: { type: 'string' },
    device: { type: 'string' },
    owner: { type: 'string' },
  });
  if (values.site === undefined || values.device === undefined) throw new UsageError('provision', 'init needs --site SITE and --device DEVICE');
  const target = locateDevice(io, values);
  const owner = chooseOwner(values.owner);
  const identity = await initDevice({ paths: target.paths, deviceId: values.device, siteId: values.site, owner, logger: io.logger });

  const out = printer(io, certMessages);
  const { paths } = target;
  out.say('init.done', { device: identity.deviceId, site: identity.siteId });
  out.say('init.signingKey', { file: paths.signingKey, kid: identity.signingKeyId });
  out.say('init.signingPublicKey', { file: paths.signingPublicKey });
  out.say('init.tlsKey', { file: paths.tlsKey });
  out.say('init.csr', { file: paths.csr, device: identity.deviceId });
  if (owner !== undefined) out.say('init.owner', { user: owner.user });
  else if (process.getuid?.() === 0) out.warn('init.noServiceUser', { user: SERVICE_USER });
  else out.warn('init.notOwned');
  out.next('init.next', { csr: paths.csr, device: identity.deviceId });
  return EXIT.ok;
}

/** `provision rotate-keys [--cancel]`: new keys beside the current ones until their certificate is installed. */
export async function runRotateKeys(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, { ...TARGET_OPTIONS, owner: { type: 'string' }, cancel: { type: 'boolean', default: false } });
  const target = locateDevice(io, values);
  const out = printer(io, certMessages);
  if (values.cancel) {
    out.say(cancelRotation(target.paths) ? 'rotate.cancelled' : 'rotate.nothing');
    return EXIT.ok;
  }
  const result = await rotateKeys({ paths: target.paths, owner: chooseOwner(values.owner), logger: io.logger });
  if (result.replacedPending) out.warn('rotate.replaced');
  out.say('rotate.done');
  out.say('rotate.csr', { file: result.csr });
  out.say('rotate.kid', { kid: result.signingKeyId });
  out.next('rotate.next', { csr: result.csr });
  return EXIT.ok;
}

import { isIP } from 'node:net';
import path from 'node:path';

import { parseCommandArgs, parseIntegerOption } from '../../appliance/cli/args.js';
import { EXIT, UsageError } from '../../appliance/cli/context.js';
import { provisionError } from '../i18n/errors.js';
import { chooseOwner } from '../identity/owner.js';
import { readIdentity } from '../identity/identity.js';
import { EXPIRY_WARNING_DAYS, isoDate } from '../pki/certificate.js';
import { installCertificates } from '../pki/install.js';
import { createSiteCa, signCsr, siteCaPaths } from '../pki/site-ca.js';
import { TARGET_OPTIONS, locateDevice } from './device.js';
import { printer, type ProvisionIo } from './io.js';
import { certMessages } from './messages/certs.js';

const DEFAULT_CA_DAYS = 3650;
/** Device and broker certificates: 397 days, the longest validity current TLS clients accept for servers. */
const DEFAULT_CERT_DAYS = 397;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `provision ca --dir DIR`: a site CA for deployments without a PKI. */
export async function runCa(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, {
    dir: { type: 'string' },
    name: { type: 'string' },
    days: { type: 'string' },
    'passphrase-file': { type: 'string' },
  });
  if (values.dir === undefined) throw new UsageError('provision', 'ca needs --dir DIR, the folder that will hold the CA key');
  const days = parseIntegerOption('provision', 'days', values.days, 30, 36_500) ?? DEFAULT_CA_DAYS;
  const dir = path.resolve(values.dir);
  const summary = await createSiteCa({
    dir,
    name: values.name ?? 'facegate site CA',
    days,
    ...(values['passphrase-file'] === undefined ? {} : { passphraseFile: values['passphrase-file'] }),
  });
  io.logger.info({ dir, validTo: summary.validTo.toISOString(), fingerprint: summary.fingerprint256 }, 'site CA created');

  const out = printer(io, certMessages);
  const paths = siteCaPaths(dir);
  out.say('ca.done', { dir });
  out.say('ca.key', { file: paths.key, encrypted: values['passphrase-file'] === undefined ? '' : out.t('ca.encrypted') });
  out.say('ca.cert', { file: paths.cert });
  out.say('ca.subject', { subject: summary.subject, validTo: isoDate(summary.validTo), fingerprint: summary.fingerprint256 });
  out.next('ca.next', { dir, cert: paths.cert });
  return EXIT.ok;
}

/** `provision sign CSR --ca-dir DIR`: a device certificate, or a broker certificate with `--server --host`. */
export async function runSign(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'provision',
    argv,
    {
      'ca-dir': { type: 'string' },
      out: { type: 'string' },
      days: { type: 'string' },
      server: { type: 'boolean', default: false },
      host: { type: 'string', multiple: true },
      'passphrase-file': { type: 'string' },
    },
    true,
  );
  const csrFile = positionals[0];
  if (csrFile === undefined || positionals.length !== 1) throw new UsageError('provision', 'sign takes exactly one CSR file');
  if (values['ca-dir'] === undefined) throw new UsageError('provision', 'sign needs --ca-dir DIR, the folder of the site CA');
  const hosts = values.host ?? [];
  if (values.server && hosts.length === 0) throw new UsageError('provision', '--server needs at least one --host NAME_OR_IP');
  if (!values.server && hosts.length > 0) throw new UsageError('provision', '--host applies only with --server');
  for (const host of hosts) {
    if (isIP(host) === 0 && !HOST_NAME.test(host)) throw provisionError('provision.bad_host', { host });
  }
  const requested = parseIntegerOption('provision', 'days', values.days, 1, 3650) ?? DEFAULT_CERT_DAYS;
  const out = values.out ?? `${csrFile.replace(/\.csr$/i, '')}.crt`;

  const result = await signCsr({
    caDir: values['ca-dir'],
    csrFile,
    out,
    days: requested,
    ...(values.server ? { serverHosts: hosts } : {}),
    ...(values['passphrase-file'] === undefined ? {} : { passphraseFile: values['passphrase-file'] }),
    now: io.now(),
  });
  io.logger.info({ out, kind: result.kind, serial: result.certificate.serial, subject: result.certificate.subject }, 'certificate signed');

  const print = printer(io, certMessages);
  const { certificate } = result;
  if (result.days < requested) print.warn('sign.shortened', { date: isoDate(certificate.validTo), days: result.days, requested });
  print.say('sign.done', { kind: print.t(result.kind === 'server' ? 'sign.kind.server' : 'sign.kind.device'), file: out });
  print.say('sign.subject', { subject: certificate.subject, key: result.keyType });
  print.say('sign.validity', { from: isoDate(certificate.validFrom), to: isoDate(certificate.validTo), days: result.days });
  print.say('sign.serial', { serial: certificate.serial, fingerprint: certificate.fingerprint256 });
  const caCert = siteCaPaths(values['ca-dir']).cert;
  if (result.kind === 'server') print.next('sign.nextServer', { file: out, ca: caCert });
  else print.next('sign.next', { file: out, ca: caCert });
  return EXIT.ok;
}

/** `provision install-cert --cert F --ca F --fleet-key F`: checked, then installed. */
export async function runInstallCert(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, {
    ...TARGET_OPTIONS,
    cert: { type: 'string' },
    ca: { type: 'string' },
    'client-ca': { type: 'string' },
    'fleet-key': { type: 'string' },
    owner: { type: 'string' },
  });
  if (values.cert === undefined || values.ca === undefined || values['fleet-key'] === undefined) {
    throw new UsageError('provision', 'install-cert needs --cert FILE, --ca FILE and --fleet-key FILE');
  }
  const target = locateDevice(io, values);
  const result = installCertificates({
    paths: target.paths,
    certFile: values.cert,
    caFile: values.ca,
    ...(values['client-ca'] === undefined ? {} : { clientCaFile: values['client-ca'] }),
    fleetKeyFile: values['fleet-key'],
    owner: chooseOwner(values.owner),
    logger: io.logger,
    now: io.now(),
  });

  const out = printer(io, certMessages);
  const { paths } = target;
  out.say('install.done', { device: readIdentity(paths).deviceId });
  out.say('install.validity', { to: isoDate(result.certificate.validTo), days: result.daysLeft, issuer: result.certificate.issuer });
  out.say('install.files', { cert: paths.certificate, ca: paths.brokerCa, fleet: paths.fleetPublicKey, kid: result.fleetKeyId });
  if (result.rotated) {
    out.say('install.rotated');
    out.warn('install.rotatedSigning', { kid: readIdentity(paths).signingKeyId });
  }
  if (result.daysLeft < EXPIRY_WARNING_DAYS) out.warn('install.expiresSoon', { days: result.daysLeft, date: isoDate(result.certificate.validTo) });
  if (target.config === undefined) out.next('install.next');
  return EXIT.ok;
}

import path from 'node:path';

import { parseCommandArgs, parseIntegerOption } from '../../appliance/cli/args.js';
import { EXIT } from '../../appliance/cli/context.js';
import { ConfigError, type FacegateConfig } from '../../appliance/config/index.js';
import { modelsDir } from '../../appliance/common/paths.js';
import { provisionError } from '../i18n/errors.js';
import { planFactoryReset, runFactoryReset } from '../lifecycle/factory-reset.js';
import { collectStatus, type DeviceStatusReport } from '../lifecycle/status.js';
import { DEFAULT_STATE_DIR, statePaths } from '../paths.js';
import { EXPIRY_WARNING_DAYS, isoDate } from '../pki/certificate.js';
import { TARGET_OPTIONS, describeCamera, locateDevice, type DeviceTarget } from './device.js';
import { printer, type Printer, type ProvisionIo } from './io.js';
import { lifecycleMessages, type LifecycleMessageKey } from './messages/lifecycle.js';

/** Locate the device, but keep going with the state folder alone when the configuration is invalid. */
function locateLeniently(io: ProvisionIo, values: { state?: string; config?: string }): DeviceTarget & { configError?: ConfigError } {
  try {
    return locateDevice(io, values);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const paths = statePaths(values.state ?? DEFAULT_STATE_DIR);
    // A configuration that does not exist yet is a stage of provisioning, not a fault.
    const missing = error.issues.length === 1 && error.issues[0]!.code === 'file.missing';
    return { paths, config: undefined, configFile: error.file, ...(missing ? {} : { configError: error }) };
  }
}

/**
 * `provision status`: identity, certificate validity, configuration, models, gallery, outbox and
 * roster. Exits 1 when something needs fixing now: an expired or unreadable certificate, a missing
 * or altered model, an invalid configuration.
 */
export async function runStatus(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, { ...TARGET_OPTIONS, json: { type: 'boolean', default: false }, 'warn-days': { type: 'string' } });
  const warnDays = parseIntegerOption('provision', 'warn-days', values['warn-days'], 1, 365) ?? EXPIRY_WARNING_DAYS;
  const target = locateLeniently(io, values);
  const now = io.now();
  const report = await collectStatus(target.paths, target.config, now, warnDays);
  const broken = problems(report) || target.configError !== undefined;

  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ...report, config: configSummary(target.config), configFile: target.configFile, configProblems: target.configError?.issues.length ?? 0 })}\n`);
    return broken ? EXIT.failed : EXIT.ok;
  }

  const out = printer(io, lifecycleMessages);
  printIdentity(out, report, target);
  printCertificates(out, report);
  if (target.configError !== undefined) {
    out.say('status.config.invalid', { file: target.configFile, count: target.configError.issues.length });
    out.raw(target.configError.message.split('\n').slice(1).join('\n'));
  } else if (target.config === undefined) {
    out.say('status.config.missing', { file: target.configFile });
  } else {
    const summary = configSummary(target.config)!;
    out.say('status.config', { file: target.configFile, ...summary });
  }
  printData(out, report, target.config);
  return broken ? EXIT.failed : EXIT.ok;
}

function problems(report: DeviceStatusReport): boolean {
  const certificate = report.certificate;
  const badCertificate = certificate !== undefined && ('error' in certificate || certificate.level === 'expired' || certificate.level === 'not-yet-valid');
  const badModels = 'error' in report.models || report.models.some((model) => model.state !== 'ok');
  return badCertificate || badModels;
}

function configSummary(config: FacegateConfig | undefined): Record<string, string> | undefined {
  if (config === undefined) return undefined;
  return { direction: config.device.direction, camera: describeCamera(config.camera), gpio: config.door.gpio.type, broker: config.mqtt.url };
}

function printIdentity(out: Printer<LifecycleMessageKey>, report: DeviceStatusReport, target: DeviceTarget): void {
  const identity = report.identity;
  if (identity === undefined) {
    out.say('status.noIdentity', { stateDir: report.stateDir });
    return;
  }
  out.say('status.device', { device: identity.deviceId, site: identity.siteId, stateDir: report.stateDir });
  out.say('status.identity', { date: isoDate(new Date(identity.createdAt)), kid: identity.signingKeyId, fingerprint: identity.tlsKeyFingerprint.slice(0, 23) });
  if (report.rotationPending) out.say('status.rotation', { csr: target.paths.csr });
}

function printCertificates(out: Printer<LifecycleMessageKey>, report: DeviceStatusReport): void {
  const certificate = report.certificate;
  if (certificate === undefined) {
    out.say('status.certificate.missing', { file: statePathsHint(report) });
  } else if ('error' in certificate) {
    out.say('status.unreadable', { what: out.t('what.certificate'), error: `${certificate.file}: ${certificate.error}` });
  } else {
    out.say('status.certificate', { cn: certificate.commonName ?? '', date: isoDate(certificate.validTo), days: certificate.daysLeft, issuer: certificate.issuer });
    if (certificate.level === 'soon' || certificate.level === 'critical') out.warn('status.certificate.soon', { days: certificate.daysLeft, date: isoDate(certificate.validTo) });
    if (certificate.level === 'expired') out.warn('status.certificate.expired', { date: isoDate(certificate.validTo) });
    if (certificate.level === 'not-yet-valid') out.warn('status.certificate.notYetValid', { date: isoDate(certificate.validFrom) });
  }

  const ca = report.brokerCa;
  if (ca === undefined) out.say('status.brokerCa.missing');
  else if ('error' in ca) out.say('status.unreadable', { what: out.t('what.brokerCa'), error: `${ca.file}: ${ca.error}` });
  else for (const entry of ca) out.say('status.brokerCa', { subject: entry.subject, date: isoDate(entry.validTo), days: entry.daysLeft });

  const fleet = report.fleetKeyId;
  if (fleet === undefined) out.say('status.fleetKey.missing');
  else if (typeof fleet === 'string') out.say('status.fleetKey', { kid: fleet });
  else out.say('status.unreadable', { what: out.t('what.fleetKey'), error: `${fleet.file}: ${fleet.error}` });
}

function statePathsHint(report: DeviceStatusReport): string {
  return path.join(report.stateDir, 'tls', 'client.crt');
}

function printData(out: Printer<LifecycleMessageKey>, report: DeviceStatusReport, config: FacegateConfig | undefined): void {
  if ('error' in report.models) {
    out.say('status.unreadable', { what: out.t('what.models'), error: report.models.error });
  } else {
    out.say('status.models', { dir: config?.modelsDir ?? modelsDir() });
    for (const model of report.models) {
      out.say('status.model', { name: model.name, file: path.basename(model.file), sha: model.expected.slice(0, 12), state: out.t(`status.model.${model.state}`) });
    }
  }

  const { gallery, outbox, roster } = report;
  if (gallery === undefined) out.say('status.gallery.none');
  else if ('error' in gallery) out.say('status.unreadable', { what: out.t('what.gallery'), error: gallery.error });
  else out.say('status.gallery', gallery);

  if (outbox === undefined) {
    out.say('status.outbox.none');
  } else if ('error' in outbox) {
    out.say('status.unreadable', { what: out.t('what.outbox'), error: outbox.error });
  } else {
    const last = outbox.lastDeliveredAt === undefined ? out.t('status.never') : isoDate(outbox.lastDeliveredAt);
    out.say('status.outbox', { pending: outbox.pending, quarantined: outbox.quarantined, last });
    if (outbox.oldestPendingAt !== undefined) out.say('status.outbox.oldest', { date: isoDate(outbox.oldestPendingAt) });
  }

  if (roster === undefined) out.say('status.roster.none');
  else if ('error' in roster) out.say('status.unreadable', { what: out.t('what.roster'), error: roster.error });
  else out.say('status.roster', roster);
}

/**
 * `provision factory-reset`: destroy keys, templates and records. The technician confirms by
 * typing the device id; scripts pass `--yes-destroy-everything`.
 */
export async function runFactoryResetCommand(io: ProvisionIo, argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('provision', argv, { ...TARGET_OPTIONS, 'yes-destroy-everything': { type: 'boolean', default: false } });
  const target = locateLeniently(io, values);
  const out = printer(io, lifecycleMessages);
  const plan = planFactoryReset(target.paths);
  if (plan.files.length === 0) {
    out.say('reset.nothing', { stateDir: plan.stateDir });
    return EXIT.ok;
  }

  const report = await collectStatus(target.paths, target.config, io.now());
  const device = report.identity?.deviceId ?? target.config?.device.id ?? path.basename(plan.stateDir);
  const count = <T extends object>(part: T | { error: string } | undefined, read: (value: T) => number): number =>
    part === undefined || 'error' in part ? 0 : read(part as T);
  const outbox = report.outbox;
  const pending = count(outbox, (value) => value.pending);
  const delivered = count(outbox, (value) => value.delivered);

  out.say('reset.title', { device, stateDir: plan.stateDir });
  out.say('reset.list');
  out.say('reset.keys', { count: plan.keyFiles });
  out.say('reset.gallery', { subjects: count(report.gallery, (value) => value.subjects) });
  out.say('reset.outbox', { pending, delivered });
  out.say('reset.roster', { workers: count(report.roster, (value) => value.workers) });
  out.say('reset.total', { count: plan.files.length });
  if (pending > 0) out.warn('reset.undelivered', { pending });
  out.warn('reset.stopService');

  if (!values['yes-destroy-everything']) {
    if (io.prompter === undefined) throw provisionError('provision.reset_needs_terminal', {});
    const answer = await io.prompter.ask(out.t('reset.prompt', { device }));
    if (answer !== device) throw provisionError('provision.reset_not_confirmed', { device });
  }
  const result = runFactoryReset(plan, io.logger);
  out.say('reset.done', result);
  out.say('reset.configKept', { file: target.configFile });
  return EXIT.ok;
}

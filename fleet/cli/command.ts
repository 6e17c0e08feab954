import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { LocalisedUsageError, catalogUsageError, parseCommandArgs } from '../../appliance/cli/args.js';
import { EXIT, type CliContext } from '../../appliance/cli/context.js';
import { errorMessage } from '../../appliance/common/errors.js';
import type { MessageParams } from '../../appliance/i18n/translate.js';
import { MAX_COMMAND_LIFETIME_MS, commandArguments, commandName, describeIssues, operatorName } from '../../protocol/command.js';
import type { CommandResult } from '../../protocol/command-result.js';
import { assertValidId } from '../../protocol/topics.js';
import { assertSigningKey, loadPrivateKey } from '../../protocol/keys.js';
import { loadFleetConfig } from '../config.js';
import { assertRegisteredDevice, issueCommand, sendCommand } from '../command-sender.js';
import { DeviceRegistry, FleetKeyring } from '../registry.js';
import { commandError, commandMessages, localiseCommandError, type CommandMessageKey } from './command-messages.js';

/** `--expires` when not given. */
const DEFAULT_LIFETIME_MS = 10 * 60_000;
/** Maximum `--wait`. */
const MAX_WAIT_MS = 10 * 60_000;

/** Build the usage error of the `facegate fleet` catalog entry `key`. */
export function fleetUsage(key: CommandMessageKey, params?: MessageParams): LocalisedUsageError {
  return catalogUsageError(commandMessages, 'fleet', key, params);
}

/**
 * `facegate fleet command`: sign a command with the operator's key, publish it to one device and,
 * with `--wait`, print the device's verified result. Exit code 0 when the device reports `done`,
 * 1 when it reports `rejected` or `failed` or no result arrives in time.
 */
export async function runFleetCommand(context: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'fleet',
    argv,
    {
      config: { type: 'string' },
      site: { type: 'string' },
      device: { type: 'string' },
      name: { type: 'string' },
      arg: { type: 'string', multiple: true },
      'operator-key': { type: 'string' },
      operator: { type: 'string' },
      expires: { type: 'string' },
      wait: { type: 'string' },
      json: { type: 'boolean' },
    },
    true,
  );
  if (positionals.length > 0) throw fleetUsage('usage.fleet.command-arguments', { arguments: positionals.join(' ') });
  const required = (option: 'config' | 'site' | 'device' | 'name' | 'operator-key'): string => {
    const value = values[option];
    if (value === undefined) throw fleetUsage('usage.fleet.command-option', { option: `--${option}` });
    return value;
  };
  const configFile = required('config');
  const siteId = required('site');
  const deviceId = required('device');
  const name = required('name');
  const keyFile = required('operator-key');
  if (!commandName.safeParse(name).success) throw fleetUsage('usage.fleet.command-name', { name });
  for (const [option, value] of [['site', siteId], ['device', deviceId]] as const) {
    try {
      assertValidId(value, option === 'site' ? 'site id' : 'device id');
    } catch (error) {
      throw fleetUsage('usage.fleet.id-invalid', { option: `--${option}`, value, detail: errorMessage(error) });
    }
  }
  const args = parseArguments(values.arg ?? []);
  const lifetimeMs = values.expires === undefined ? DEFAULT_LIFETIME_MS : parseDuration('expires', values.expires, MAX_COMMAND_LIFETIME_MS);
  const waitMs = values.wait === undefined ? undefined : parseDuration('wait', values.wait, MAX_WAIT_MS);
  const operator = values.operator ?? operatorFromKeyFile(keyFile);

  try {
    if (!operatorName.safeParse(operator).success) throw commandError('fleet.command.operator_name', { name: operator });
    const config = loadFleetConfig(configFile);
    const registry = DeviceRegistry.load(config.devices);
    const keyring = FleetKeyring.load(config.fleetKeys);
    assertRegisteredDevice(registry, siteId, deviceId, configFile);
    const operatorKey = loadOperatorKey(keyFile);

    const issued = await issueCommand({ siteId, deviceId, name, args, operator, operatorKey, lifetimeMs });
    const t = commandMessages.translator(context.locale);
    const onPublished = () => {
      if (values.json) return;
      context.stdout.write(`${t('command.sent', { name, commandId: issued.payload.commandId, site: siteId, device: deviceId, expiresAt: issued.payload.expiresAt })}\n`);
      if (waitMs !== undefined) context.stdout.write(`${t('command.waiting', { seconds: waitMs / 1000 })}\n`);
    };
    const result = await sendCommand(issued, { broker: config.broker, registry, keyring, logger: context.logger, onPublished, ...(waitMs === undefined ? {} : { waitMs }) });
    if (waitMs === undefined) {
      if (values.json) context.stdout.write(`${JSON.stringify({ command: issued.payload })}\n`);
      return EXIT.ok;
    }
    if (result === undefined) {
      if (values.json) context.stdout.write(`${JSON.stringify({ command: issued.payload, result: null })}\n`);
      context.stderr.write(`${context.t('error.prefix', { message: t('command.no-result', { site: siteId, device: deviceId, seconds: waitMs / 1000 }) })}\n`);
      context.stderr.write(`${context.t('hint.prefix', { hint: t('command.no-result.hint') })}\n`);
      return EXIT.failed;
    }
    if (values.json) context.stdout.write(`${JSON.stringify({ command: issued.payload, result })}\n`);
    else printResult(context, result);
    return result.outcome === 'done' ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return reportCommandError(context, error);
  }
}

/** Print an error of the command catalog in the operator's language; other errors go to the CLI's own report. */
export function reportCommandError(context: CliContext, error: unknown): number {
  const localised = localiseCommandError(error, context.locale);
  if (localised === undefined) throw error;
  context.stderr.write(`${context.t('error.prefix', { message: localised.message })}\n`);
  context.stderr.write(`${context.t('hint.prefix', { hint: localised.hint })}\n`);
  context.logger.debug({ err: error }, 'fleet command failed');
  return EXIT.failed;
}

function printResult(context: CliContext, result: CommandResult): void {
  const t = commandMessages.translator(context.locale);
  context.stdout.write(`${t('command.result', { outcome: t(`outcome.${result.outcome}`), reason: result.reason, finishedAt: result.finishedAt, auditEntryId: result.auditEntryId })}\n`);
  for (const [key, value] of Object.entries(result.output ?? {})) {
    context.stdout.write(`${t('command.output', { key, value: typeof value === 'object' ? JSON.stringify(value) : String(value) })}\n`);
  }
}

/** `--arg key=value` options as the command's arguments; the schema of the wire format checks each. */
export function parseArguments(options: readonly string[]): Record<string, string> {
  // Without a prototype, `__proto__` is stored as a key, so the schema rejects it instead of the assignment dropping it.
  const args: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const option of options) {
    const split = option.indexOf('=');
    if (split <= 0) throw fleetUsage('usage.fleet.arg-format', { value: option });
    const key = option.slice(0, split);
    if (Object.hasOwn(args, key)) throw fleetUsage('usage.fleet.arg-twice', { key });
    args[key] = option.slice(split + 1);
  }
  const parsed = commandArguments.safeParse(args);
  if (!parsed.success) throw fleetUsage('usage.fleet.arg-invalid', { detail: describeIssues(parsed.error).replace('(root): ', '') });
  return parsed.data;
}

/** Parse a duration such as `90s`, `10m` or `2h` into milliseconds, from 1 s to `maxMs`. */
export function parseDuration(option: string, text: string, maxMs: number): number {
  const match = /^(\d{1,6})(s|m|h)$/.exec(text.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
  if (!(ms >= 1000 && ms <= maxMs)) {
    const params = { option: `--${option}`, value: text, max: formatDuration(maxMs), examples: durationExamples(maxMs) };
    throw new LocalisedUsageError('fleet', 'usage.duration', params, `--${option} "${text}" must be a duration from 1s to ${params.max}, such as ${params.examples}`);
  }
  return ms;
}

/** Write a duration in whole minutes (`10m`, `1440m`), or in seconds below one minute. */
function formatDuration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.floor(ms / 1000)}s`;
}

const DURATION_EXAMPLES: ReadonlyArray<readonly [text: string, ms: number]> = [
  ['30s', 30_000],
  ['90s', 90_000],
  ['5m', 300_000],
  ['10m', 600_000],
  ['2h', 7_200_000],
];

/** Three example durations within `maxMs`, so the hint never suggests a value the option rejects. */
function durationExamples(maxMs: number): string {
  return DURATION_EXAMPLES.filter(([, ms]) => ms <= maxMs)
    .slice(-3)
    .map(([text]) => text)
    .join(', ');
}

/** Operator name from the private key file name: `ops-lee.private.pem` gives `ops-lee`. */
export function operatorFromKeyFile(file: string): string {
  return path.basename(file).replace(/(\.private|\.key)?\.pem$/i, '');
}

function loadOperatorKey(file: string): KeyObject {
  try {
    const key = loadPrivateKey(file);
    assertSigningKey(key, 'private', 'operator key');
    return key;
  } catch (error) {
    throw commandError('fleet.command.operator_key', { file, detail: errorMessage(error) }, error);
  }
}

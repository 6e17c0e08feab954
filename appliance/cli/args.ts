import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MessageParams, Messages } from '../i18n/translate.js';
import { UsageError } from './context.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A usage error whose text is the catalog entry `key`, filled from `params`, in the technician's
 * language. The key is looked up in the catalogs of error-catalogs.ts; the English message is for logs.
 */
export class LocalisedUsageError extends UsageError {
  constructor(
    command: string,
    readonly key: string,
    readonly params: MessageParams,
    englishMessage: string,
  ) {
    super(command, englishMessage);
    this.name = 'LocalisedUsageError';
  }
}

/** Build a LocalisedUsageError from a domain catalog's `key`, with the catalog's English text as its message. */
export function catalogUsageError<K extends string>(messages: Messages<K>, command: string, key: K, params: MessageParams = {}): LocalisedUsageError {
  return new LocalisedUsageError(command, key, params, messages.translate('en', key, params));
}

/** Return the first `--long` (else `-s`) option named in a node:util parseArgs message such as `Option '-n, --name <value>' …`. */
function optionNamed(message: string): string {
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? message;
  return /--[\w-]+/.exec(quoted)?.[0] ?? /-\w/.exec(quoted)?.[0] ?? quoted;
}

/**
 * Turn a node:util parseArgs error into a localised usage error naming the option. parseArgs gives
 * a stable `code` but English text only, so the option name is read from its message (Node 20 wording).
 */
export function toUsageError(command: string, error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const option = optionNamed(message);
  const usage = (key: string, params: MessageParams): UsageError => new LocalisedUsageError(command, key, params, message);

  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return usage('usage.option-unknown', { option });
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return usage('usage.argument-unexpected', { argument: option });
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('ambiguous')) return usage('usage.option-ambiguous', { option });
    if (message.includes('does not take an argument')) return usage('usage.option-no-value', { option });
    return usage('usage.option-missing-value', { option });
  }
  return new UsageError(command, message);
}

/** Parse a command's arguments strictly; an unknown or malformed option becomes a localised UsageError naming the command. */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw toUsageError(command, error);
  }
}

export function parseIntegerOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    const params = { option: `--${name}`, min, max, value };
    throw new LocalisedUsageError(command, 'usage.integer', params, `--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

export function parseNumberOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    const params = { option: `--${name}`, min, max, value };
    throw new LocalisedUsageError(command, 'usage.number', params, `--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

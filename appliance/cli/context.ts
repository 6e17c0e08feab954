import type { Writable } from 'node:stream';
import type { Logger } from '../common/logger.js';
import type { Locale } from '../i18n/locale.js';
import type { MessageParams } from '../i18n/translate.js';
import { cliMessages, type CliMessageKey } from './messages.js';

/** Exit codes of every facegate command; the README lists them for technicians and scripts. */
export const EXIT = {
  ok: 0,
  /** The command ran but its input was rejected: no face, bad photo, unknown subject. */
  failed: 1,
  /** The command line itself is wrong: unknown command, missing or invalid option. */
  usage: 2,
  /** The device is not set up: missing or altered model, unreadable key, invalid configuration. */
  setup: 4,
} as const;

export interface CliContext {
  locale: Locale;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
  /** Print a localised line to standard output. */
  say(key: CliMessageKey, params?: MessageParams): void;
  /** Print a localised warning to standard error. */
  warn(key: CliMessageKey, params?: MessageParams): void;
  t(key: CliMessageKey, params?: MessageParams): string;
}

export function createContext(locale: Locale, logger: Logger, stdout: Writable, stderr: Writable): CliContext {
  const t = (key: CliMessageKey, params?: MessageParams): string => cliMessages.translate(locale, key, params);
  return {
    locale,
    logger,
    stdout,
    stderr,
    t,
    say: (key, params) => stdout.write(`${t(key, params)}\n`),
    warn: (key, params) => stderr.write(`${t('warning.prefix', { message: t(key, params) })}\n`),
  };
}

/** A usage problem on the command line: printed with the command's help hint, exit code 2. */
export class UsageError extends Error {
  constructor(
    readonly command: string,
    message: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Command {
  name: string;
  /** One-line summary per locale, shown in `facegate --help`. */
  summary: Record<Locale, string>;
  /** Full help text per locale, shown by `facegate NAME --help`. */
  help: Record<Locale, string>;
  run(context: CliContext, argv: string[]): Promise<number>;
}

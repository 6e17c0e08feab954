import type { Writable } from 'node:stream';

import type { Logger } from '../../appliance/common/logger.js';
import type { Locale } from '../../appliance/i18n/locale.js';
import type { MessageParams, Messages } from '../../appliance/i18n/translate.js';
import { commonMessages } from './messages/common.js';
import type { Prompter } from './prompt.js';

/** Context of every provisioning subcommand: the technician's language, output streams, logger and prompt. */
export interface ProvisionIo {
  locale: Locale;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
  /** Reads the technician's answers; undefined when standard input is not a terminal. */
  prompter: Prompter | undefined;
  now(): Date;
}

/** Localised output for one message catalog. */
export interface Printer<K extends string> {
  t(key: K, params?: MessageParams): string;
  /** Print a line to standard output. */
  say(key: K, params?: MessageParams): void;
  /** Print a warning line to standard error. */
  warn(key: K, params?: MessageParams): void;
  /** Print text as it is. */
  raw(text: string): void;
  /** Print the next step of the technician's flow. */
  next(key: K, params?: MessageParams): void;
}

export function printer<K extends string>(io: ProvisionIo, messages: Messages<K>): Printer<K> {
  const t = messages.translator(io.locale);
  const common = commonMessages.translator(io.locale);
  return {
    t,
    say: (key, params) => void io.stdout.write(`${t(key, params)}\n`),
    warn: (key, params) => void io.stderr.write(`${common('warning', { message: t(key, params) })}\n`),
    raw: (text) => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    next: (key, params) => void io.stdout.write(`${common('next', { step: t(key, params) })}\n`),
  };
}

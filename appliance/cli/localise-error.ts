import { isFacegateError, type FacegateError } from '../common/errors.js';
import { ConfigError, formatConfigError } from '../config/config-error.js';
import type { Locale } from '../i18n/locale.js';
import type { MessageParams, Messages } from '../i18n/translate.js';
import * as errorCatalogs from './error-catalogs.js';
import { cliMessages } from './messages.js';

/** An error's message and hint in one locale; `hint` is undefined when the error has none. */
export interface LocalisedError {
  message: string;
  hint: string | undefined;
}

// Read at call time, not at import: provisioning/i18n/errors.ts imports this module and is itself
// in the registry, so reading the namespace during module evaluation would meet an uninitialised binding.
function catalogs(): Messages<string>[] {
  return Object.values(errorCatalogs) as Messages<string>[];
}

/** Return the first registered catalog that defines `key`. */
export function catalogWith(key: string): Messages<string> | undefined {
  return catalogs().find((messages) => messages.has(key));
}

/** List the catalog keys tried for an error code, most specific first: `face.quality.too-blurry`, then `face.quality`, then `face`. */
function candidates(code: string): string[] {
  const parts = code.split('.');
  const keys: string[] = [];
  for (let i = parts.length; i > 0; i--) keys.push(parts.slice(0, i).join('.'));
  return keys;
}

/** Translate the first of `keys` that a registered catalog defines, or return undefined. */
function translateFirst(keys: readonly string[], locale: Locale, params: MessageParams): string | undefined {
  for (const key of keys) {
    const messages = catalogWith(key);
    if (messages !== undefined) return messages.translate(locale, key, params);
  }
  return undefined;
}

/** Rebuild a quality rejection's `details` from its reason codes in the technician's language. */
function localiseDetails(code: string, params: MessageParams, locale: Locale): MessageParams {
  if (!code.startsWith('face.quality') || typeof params.reasons !== 'string') return params;
  const parts = params.reasons
    .split(',')
    .map((reason) => `quality.${reason}`)
    .filter((key) => cliMessages.has(key))
    .map((key) => cliMessages.translate(locale, key as Parameters<typeof cliMessages.translate>[1], params));
  return parts.length === 0 ? params : { ...params, details: parts.join(locale.startsWith('zh') ? '、' : ', ') };
}

/**
 * Return a FacegateError's message and hint in `locale`, looked up by its code in every catalog of
 * error-catalogs.ts and filled from its params. A code no catalog defines keeps its English text.
 * A ConfigError is rendered again in `locale` with each problem's fix inside the message, so it has no separate hint.
 */
export function localiseFacegateError(error: FacegateError, locale: Locale): LocalisedError {
  if (error instanceof ConfigError) return { message: formatConfigError(error, locale), hint: undefined };

  const keys = candidates(error.code);
  const params = localiseDetails(error.code, error.params, locale);
  const message = translateFirst(keys, locale, params) ?? error.message;
  const hint = translateFirst(keys.map((key) => `${key}.hint`), locale, params) ?? error.hint;
  return { message, hint };
}

/** Like localiseFacegateError, for any thrown value: anything else keeps its own message and has no hint. */
export function localiseError(error: unknown, locale: Locale): LocalisedError {
  if (isFacegateError(error)) return localiseFacegateError(error, locale);
  return { message: error instanceof Error ? error.message : String(error), hint: undefined };
}

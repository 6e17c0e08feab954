import fs from 'node:fs';

import { parse } from 'yaml';

import { isLocale, resolveLocale, type Locale } from '../../appliance/i18n/locale.js';

/**
 * Check whether the technician chose a language for this run: FACEGATE_LANG, or `--lang` among
 * the process arguments. The CLI removes `--lang` before a command gets its arguments, so a
 * session language other than the POSIX locale's also counts as chosen.
 */
export function languageChosen(sessionLocale: Locale, argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (env.FACEGATE_LANG !== undefined && env.FACEGATE_LANG !== '') return true;
  if (argv.some((arg) => arg === '--lang' || arg.startsWith('--lang='))) return true;
  return sessionLocale !== resolveLocale(undefined, { ...env, FACEGATE_LANG: undefined });
}

/**
 * Pick the technician's language: a language chosen for this run, then the device's configured
 * `device.locale`, then the POSIX locale (already in `sessionLocale` when nothing was chosen).
 */
export function technicianLocale(sessionLocale: Locale, chosen: boolean, configLocale: Locale | undefined): Locale {
  if (chosen || configLocale === undefined) return sessionLocale;
  return configLocale;
}

/** Read `device.locale` from a configuration file without validating the rest; undefined when absent or unreadable. */
export function configuredLocale(file: string): Locale | undefined {
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const locale = (data as { device?: { locale?: unknown } } | null)?.device?.locale;
  return typeof locale === 'string' && isLocale(locale) ? locale : undefined;
}

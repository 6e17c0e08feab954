export const LOCALES = ['zh-Hant', 'zh-Hans', 'en', 'pt'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: string): value is Locale {
  return (LOCALES as readonly string[]).includes(value);
}

/**
 * Map a POSIX or BCP 47 locale name (`zh_TW.UTF-8`, `zh-HK`, `pt_PT`, `zh-Hans`) to a supported locale.
 * Returns undefined for C, POSIX and languages the product does not ship.
 */
export function normaliseLocale(raw: string | undefined): Locale | undefined {
  if (raw === undefined || raw === '') return undefined;
  const name = raw.split('.')[0]!.split('@')[0]!.replace('_', '-');
  if (isLocale(name)) return name;
  const lower = name.toLowerCase();
  if (lower === 'c' || lower === 'posix') return undefined;
  if (lower.startsWith('zh')) {
    // Hong Kong, Macau and Taiwan write Traditional; mainland China and Singapore write Simplified.
    if (/hant|tw|hk|mo/.test(lower)) return 'zh-Hant';
    return 'zh-Hans';
  }
  if (lower.startsWith('pt')) return 'pt';
  if (lower.startsWith('en')) return 'en';
  return undefined;
}

/** Pick the locale from an explicit choice, then FACEGATE_LANG, then the POSIX locale variables, then English. */
export function resolveLocale(explicit?: string, env: NodeJS.ProcessEnv = process.env): Locale {
  const candidates = [explicit, env.FACEGATE_LANG, env.LC_ALL, env.LC_MESSAGES, env.LANG];
  for (const candidate of candidates) {
    const locale = normaliseLocale(candidate);
    if (locale !== undefined) return locale;
  }
  return 'en';
}

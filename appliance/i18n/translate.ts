import type { Locale } from './locale.js';

export type MessageParams = Record<string, string | number>;
export type Catalog<K extends string> = Record<K, string>;

/** A message lookup bound to one locale. */
export type Translator<K extends string> = (key: K, params?: MessageParams) => string;

/**
 * A domain's messages in every supported locale. Each domain (CLI, config, kiosk) defines its own,
 * and the type makes a key missing from any locale a compile error.
 */
export interface Messages<K extends string> {
  readonly catalogs: Record<Locale, Catalog<K>>;
  translate(locale: Locale, key: K, params?: MessageParams): string;
  translator(locale: Locale): Translator<K>;
  has(key: string): key is K;
}

export function defineMessages<K extends string>(catalogs: Record<Locale, Catalog<K>>): Messages<K> {
  const translate = (locale: Locale, key: K, params: MessageParams = {}): string =>
    fill(catalogs[locale][key], params);
  return {
    catalogs,
    translate,
    translator: (locale) => (key, params) => translate(locale, key, params),
    has: (key): key is K => Object.prototype.hasOwnProperty.call(catalogs.en, key),
  };
}

/** Replace `{name}` placeholders; an unknown placeholder stays visible so a missing parameter is noticed. */
export function fill(template: string, params: MessageParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

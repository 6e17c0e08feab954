import { en, type MessageKey } from './catalogs/en.js';
import { zhHant } from './catalogs/zh-Hant.js';
import { zhHans } from './catalogs/zh-Hans.js';
import { pt } from './catalogs/pt.js';
import type { Locale } from './locale.js';

export type { MessageKey };

const CATALOGS: Record<Locale, Record<MessageKey, string>> = {
  en,
  'zh-Hant': zhHant,
  'zh-Hans': zhHans,
  pt,
};

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

/** Fill the message `key` of `locale` with `{name}` placeholders taken from `params`. */
export function translate(locale: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = CATALOGS[locale][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export type Translator = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translator(locale: Locale): Translator {
  return (key, params) => translate(locale, key, params);
}

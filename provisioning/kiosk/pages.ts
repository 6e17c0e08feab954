import { LOCALES, type Locale } from '../../appliance/i18n/locale.js';
import type { MessageParams } from '../../appliance/i18n/translate.js';
import { kioskMessages, type KioskMessageKey } from './messages.js';

/** Escape text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

export interface PageContext {
  locale: Locale;
  /** Path of this page, for the language links. */
  path: string;
  csrf: string;
}

export function translate(locale: Locale, key: KioskMessageKey, params?: MessageParams): string {
  return escapeHtml(kioskMessages.translate(locale, key, params));
}

/** Wrap a page body: phone-sized viewport, the page language, and links to the other languages. */
export function layout(context: PageContext, heading: string, body: string): string {
  const links = LOCALES.map((locale) => `<a href="${escapeHtml(context.path)}?lang=${locale}" hreflang="${locale}">${locale}</a>`).join(' · ');
  return `<!doctype html>
<html lang="${context.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${translate(context.locale, 'title')}</title>
<style>
body { font-family: "Noto Sans CJK TC", "Noto Sans CJK SC", "PingFang TC", "Microsoft JhengHei", sans-serif; max-width: 40rem; margin: 0 auto; padding: 1rem; line-height: 1.7; font-size: 1.1rem; }
pre.form { white-space: pre-wrap; font-family: inherit; background: #f6f6f2; padding: 1rem; border-radius: .5rem; }
input[type=text], input[type=password] { width: 100%; font-size: 1.2rem; padding: .5rem; box-sizing: border-box; }
button { font-size: 1.2rem; padding: .6rem 1.2rem; margin-top: 1rem; }
.error { color: #a00; }
code.receipt, small { word-break: break-all; }
code.receipt { font-size: .8rem; }
</style>
</head>
<body>
<nav>${links}</nav>
<h1>${heading}</h1>
${body}
</body>
</html>
`;
}

/** A POST form carrying the session's CSRF token and the page language. */
export function postForm(context: PageContext, action: string, fields: string, submit: string): string {
  return `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(context.csrf)}">
<input type="hidden" name="lang" value="${context.locale}">
${fields}
<button type="submit">${submit}</button>
</form>`;
}

export function textField(name: string, label: string, type: 'text' | 'password' = 'text'): string {
  return `<label>${label}<br><input type="${type}" name="${name}" autocomplete="off" required></label><br>`;
}

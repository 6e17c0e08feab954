import { LOCALES, type Locale } from '../../appliance/i18n/locale.js';
import type { MessageParams } from '../../appliance/i18n/translate.js';
import { sendHtml, type RequestInfo } from './http.js';
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
  /** The signed-in technician, who gets a sign-out button at the end of the page; null for others. */
  technician?: string | null;
  /** A page the worker fills in on the technician's screen, without a sign-out button. */
  workerFacing?: boolean;
  /** Reload the page every 2 s in a browser without JavaScript, where the status cannot be polled. */
  refreshWithoutScript?: boolean;
}

export function translate(locale: Locale, key: KioskMessageKey, params?: MessageParams): string {
  return escapeHtml(kioskMessages.translate(locale, key, params));
}

const STYLE = `
body { font-family: "Noto Sans CJK TC", "Noto Sans CJK SC", "PingFang TC", "Microsoft JhengHei", sans-serif; max-width: 40rem; margin: 0 auto; padding: 1rem; line-height: 1.7; font-size: 1.1rem; }
footer { margin-top: 2rem; border-top: 1px solid #ccc; }
footer button { font-size: 1rem; padding: .3rem .8rem; }
pre.form { white-space: pre-wrap; font-family: inherit; background: #f6f6f2; padding: 1rem; border-radius: .5rem; }
input[type=text], input[type=password] { width: 100%; font-size: 1.2rem; padding: .5rem; box-sizing: border-box; }
button { font-size: 1.2rem; padding: .6rem 1.2rem; margin-top: 1rem; }
.error { color: #a00; }
.warning { border: 2px solid #c60; background: #fff4e5; padding: .8rem; border-radius: .5rem; }
.guidance { font-size: 1.8rem; font-weight: bold; text-align: center; padding: 1.2rem .5rem; background: #eef5ff; border-radius: .5rem; margin: 1rem 0; }
progress { width: 100%; height: 1.2rem; }
.qr svg { display: block; width: 100%; max-width: 18rem; height: auto; margin: 1rem auto; }
dl.receipt { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.receipt dd { margin: 0; word-break: break-all; }
code.receipt, small { word-break: break-all; }
code.receipt { font-size: .8rem; }
@page { margin: 12mm; }
@media print {
  nav, form, button, .no-print { display: none !important; }
  body { max-width: none; padding: 0; font-size: 11pt; line-height: 1.5; }
  h1 { font-size: 16pt; }
  .qr svg { width: 70mm; max-width: none; margin: 6mm 0; }
  code.receipt { font-size: 6pt; }
  .receipt-sheet { break-inside: avoid; }
}`;

/** Wrap a page body: phone-sized viewport, the page language, links to the other languages, print styles. */
export function layout(context: PageContext, heading: string, body: string): string {
  const links = LOCALES.map((locale) => `<a href="${escapeHtml(context.path)}?lang=${locale}" hreflang="${locale}">${locale}</a>`).join(' · ');
  const technician = context.technician ?? null;
  const signOut = technician === null || context.workerFacing === true ? '' : `\n<footer class="no-print">${postForm(context, '/sign-out', '', translate(context.locale, 'nav.sign-out'))}</footer>`;
  const refresh = context.refreshWithoutScript === true ? '<noscript><meta http-equiv="refresh" content="2"></noscript>\n' : '';
  return `<!doctype html>
<html lang="${context.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${translate(context.locale, 'title')}</title>
${refresh}<style>${STYLE}
</style>
<script src="/kiosk.js" defer></script>
</head>
<body>
<nav>${links}</nav>
<h1>${heading}</h1>
${body}${signOut}
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

export function hiddenField(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

/** Build the page context of a request, in `locale` when given. */
export function pageContext(info: RequestInfo, locale: Locale = info.locale): PageContext {
  return { locale, path: info.url.pathname, csrf: info.session.csrf, technician: info.session.technician };
}

export function sendPage(
  info: RequestInfo,
  status: number,
  heading: string,
  body: string,
  options: { locale?: Locale; refreshWithoutScript?: boolean; workerFacing?: boolean } = {},
): void {
  const context = { ...pageContext(info, options.locale), refreshWithoutScript: options.refreshWithoutScript ?? false, workerFacing: options.workerFacing ?? false };
  sendHtml(info.response, status, layout(context, heading, body));
}

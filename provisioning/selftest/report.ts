import type { Locale } from '../../appliance/i18n/locale.js';
import { formatTable } from '../cli/table.js';
import { selftestMessages, type SelftestMessageKey } from '../cli/messages/selftest.js';
import { localiseError } from '../i18n/errors.js';
import type { CheckResult } from './types.js';

/**
 * Format the pass/fail table, then one "what to check" line for each failed or warned row, in the
 * technician's language.
 */
export function formatSelftestReport(results: readonly CheckResult[], locale: Locale): string {
  const t = selftestMessages.translator(locale);
  const rows = results.map((result) => [t(`check.${result.id}` as SelftestMessageKey), t(`status.${result.status}`), detailText(result, locale)]);
  const lines = [formatTable([t('column.check'), t('column.result'), t('column.detail')], rows), ''];

  const failed = results.filter((result) => result.status === 'fail').length;
  const skipped = results.filter((result) => result.status === 'skip').length;
  lines.push(failed === 0 ? t('summary.pass', { count: results.length - skipped }) : t('summary.fail', { failed, count: results.length - skipped }));
  if (skipped > 0) lines.push(t('summary.skipped', { skipped }));

  const attention = results.filter((result) => result.status === 'fail' || result.status === 'warn');
  if (attention.length > 0) {
    lines.push(t('summary.whatToCheck'));
    for (const result of attention) lines.push(t('summary.fixLine', { check: t(`check.${result.id}` as SelftestMessageKey), fix: fixText(result, locale) }));
  }
  return `${lines.join('\n')}\n`;
}

/** Return the row's finding in the technician's language. */
export function detailText(result: CheckResult, locale: Locale): string {
  const t = selftestMessages.translator(locale);
  if (result.detail !== undefined) return t(result.detail.key, result.detail.params);
  return result.error === undefined ? '' : localiseError(result.error, locale).message;
}

/** Return what to check for the row, with the error's own hint, in the technician's language. */
export function fixText(result: CheckResult, locale: Locale): string {
  const t = selftestMessages.translator(locale);
  const parts: string[] = [];
  if (result.fix !== undefined) parts.push(t(result.fix.key, result.fix.params));
  if (result.error !== undefined) {
    const hint = localiseError(result.error, locale).hint;
    if (hint !== undefined && !parts.includes(hint)) parts.push(hint);
  }
  return parts.join(' ');
}

import type { Locale } from '../i18n/locale.js';
import { auditMessages } from './messages.js';
import type { AuditReport } from './report.js';

/** Plain-text rendering of an audit report in the auditor's language. */
export function renderReport(report: AuditReport, locale: Locale): string {
  const t = auditMessages.translator(locale);
  const lines: string[] = [];
  const list = (subjects: string[]) => (subjects.length === 0 ? t('report.none') : subjects.join(', '));

  lines.push(t('report.title', { device: report.deviceId, site: report.siteId }));
  lines.push(t('report.period', report.period));
  lines.push(t('report.generated', { time: report.generatedAt }), '');

  const { chain } = report;
  if (chain.ok) {
    const signatures = t(chain.signaturesChecked ? 'report.chain.signatures' : 'report.chain.no-signatures');
    lines.push(t('report.chain.ok', { entries: chain.entries, verified: chain.checkpointsVerified, checkpoints: chain.checkpointsTotal, signatures }));
  } else {
    lines.push(chain.firstBadSeq === undefined ? t('report.chain.broken-checkpoints') : t('report.chain.broken', { seq: chain.firstBadSeq }));
    for (const message of chain.problems) lines.push(t('report.chain.problem', { message }));
  }
  lines.push(t('report.entries', { count: report.entries }));
  lines.push(
    report.clock.share === null
      ? t('report.clock.none')
      : t('report.clock', { share: `${(report.clock.share * 100).toFixed(1)} %`, synced: report.clock.synced, total: report.clock.total }),
  );
  lines.push('');

  if (report.byAction.length > 0) {
    lines.push(t('report.actions'));
    const header = t('report.actions.header').split('|');
    const rows = report.byAction.map((count) => [count.action, count.total, count.success, count.failure, count.denied].map(String));
    lines.push(...table([header, ...rows]).map((line) => `  ${line}`), '');
  }

  const { consent, withdrawals, security } = report;
  lines.push(t('report.consent'));
  lines.push(t('report.consent.enrolments', { count: consent.enrolments, valid: consent.enrolmentsWithConsent }));
  if (consent.enrolmentsWithoutConsent.length > 0) lines.push(t('report.consent.without', { subjects: list(consent.enrolmentsWithoutConsent) }));
  lines.push(t('report.consent.at-end', { count: consent.enrolledAtEnd, valid: consent.enrolledWithConsentAtEnd }));
  lines.push(t('report.withdrawals', { count: withdrawals.total, honoured: withdrawals.honoured }));
  if (withdrawals.withoutTemplates > 0) lines.push(t('report.withdrawals.no-templates', { count: withdrawals.withoutTemplates }));
  if (withdrawals.medianDelayMs !== null && withdrawals.maxDelayMs !== null) {
    lines.push(t('report.withdrawals.delay', { median: duration(withdrawals.medianDelayMs), max: duration(withdrawals.maxDelayMs) }));
  }
  const { matcher } = withdrawals;
  if (matcher.medianDelayMs !== null && matcher.maxDelayMs !== null) {
    lines.push(t('report.withdrawals.matcher', { dropped: matcher.dropped, median: duration(matcher.medianDelayMs), max: duration(matcher.maxDelayMs) }));
  }
  if (matcher.notRecorded.length > 0) lines.push(t('report.withdrawals.matcher-missing', { subjects: list(matcher.notRecorded) }));
  if (withdrawals.pending.length > 0) lines.push(t('report.withdrawals.pending', { subjects: list(withdrawals.pending) }));
  lines.push('');

  lines.push(t('report.security'));
  lines.push(t('report.security.sign-in', { count: security.signInFailures }));
  lines.push(t('report.security.door', { forced: security.doorForced, held: security.doorHeldOpen, exit: security.exitButton }));
  lines.push(t('report.security.admin', { commands: security.commands, config: security.configChanges }));
  return `${lines.join('\n')}\n`;
}

/** Columns padded to their widest cell; CJK characters count as two columns in a terminal. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => displayWidth(row[column] ?? ''))));
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const pad = ' '.repeat(widths[column]! - displayWidth(cell));
        return column === 0 ? cell + pad : pad + cell;
      })
      .join('  '),
  );
}

function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(char) ? 2 : 1;
  return width;
}

/** `850 ms`, `12 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

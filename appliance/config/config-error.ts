import { FacegateError } from '../common/errors.js';
import type { Locale } from '../i18n/locale.js';
import { configMessages, type ConfigMessageKey } from './messages.js';

/** One problem in a configuration file, localised for the technician who has to fix it. */
export interface ConfigIssue {
  /** Dotted key path such as `door.relay.pulseMs`; empty for a problem with the whole file. */
  readonly path: string;
  /** Catalog key of the message, stable across locales (`value.outOfRange`, `rule.brokerNotAllowed`). */
  readonly code: ConfigMessageKey;
  /** The offending value as written, shortened, with URL credentials removed; undefined when the key is missing. */
  readonly value: string | undefined;
  readonly message: string;
  readonly fix: string;
  /** 1-based position in the YAML file, when the problem can be located there. */
  readonly line: number | undefined;
  readonly column: number | undefined;
}

/** Every problem found in one configuration file, listed at once. */
export class ConfigError extends FacegateError {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  readonly locale: Locale;

  constructor(file: string, issues: readonly ConfigIssue[], locale: Locale) {
    const t = configMessages.translator(locale);
    const lines = issues.map((issue) => formatIssue(issue, locale));
    const text = [t('header', { file, count: issues.length }), ...lines.map((line) => `  - ${line}`)].join('\n');
    super(issues.length === 1 ? `config.${issues[0]!.code}` : 'config.invalid', text, {
      hint: issues.length === 1 ? issues[0]!.fix : undefined,
      params: { file, count: issues.length },
    });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
    this.locale = locale;
  }
}

export function formatIssue(issue: ConfigIssue, locale: Locale): string {
  const t = configMessages.translator(locale);
  const path = issue.path === '' ? t('wholeFile') : issue.path;
  const params = { path, message: issue.message, fix: issue.fix };
  return issue.line === undefined ? t('issue', params) : t('issueAtLine', { ...params, line: issue.line });
}

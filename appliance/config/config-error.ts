import { FacegateError } from '../common/errors.js';
import type { Locale } from '../i18n/locale.js';
import type { MessageParams } from '../i18n/translate.js';
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
  /** Values that filled `message` and `fix`, kept so that the issue can be shown in another locale. */
  readonly params?: MessageParams;
  /** Catalog key of `fix`; `<code>.fix` when undefined. */
  readonly fixCode?: ConfigMessageKey;
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
    super(issues.length === 1 ? `config.${issues[0]!.code}` : 'config.invalid', formatIssues(file, issues, locale), {
      hint: issues.length === 1 ? issues[0]!.fix : undefined,
      params: { file, count: issues.length },
    });
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
    this.locale = locale;
  }
}

/** Return the header and every problem of a ConfigError in `locale`; each problem carries its fix. */
export function formatConfigError(error: ConfigError, locale: Locale): string {
  return formatIssues(error.file, error.issues, locale);
}

function formatIssues(file: string, issues: readonly ConfigIssue[], locale: Locale): string {
  const t = configMessages.translator(locale);
  const lines = issues.map((issue) => formatIssue(issue, locale));
  return [t('header', { file, count: issues.length }), ...lines.map((line) => `  - ${line}`)].join('\n');
}

/** Return one problem in `locale`, translated again from its code and params when it has them. */
export function formatIssue(issue: ConfigIssue, locale: Locale): string {
  const t = configMessages.translator(locale);
  const path = issue.path === '' ? t('wholeFile') : issue.path;
  const params = { path, ...localiseIssue(issue, locale) };
  return issue.line === undefined ? t('issue', params) : t('issueAtLine', { ...params, line: issue.line });
}

// NOTE: type names in a `type.wrong` issue (`a number`, `text`) stay in the locale the issue was built in.
function localiseIssue(issue: ConfigIssue, locale: Locale): { message: string; fix: string } {
  if (issue.params === undefined) return { message: issue.message, fix: issue.fix };
  const fixCode = issue.fixCode ?? (`${issue.code}.fix` as ConfigMessageKey);
  return {
    message: configMessages.translate(locale, issue.code, issue.params),
    fix: configMessages.has(fixCode) ? configMessages.translate(locale, fixCode, issue.params) : issue.fix,
  };
}

import { isFacegateError } from '../common/errors.js';
import { LocalisedUsageError } from './args.js';
import { EXIT, UsageError, type CliContext } from './context.js';
import { catalogWith, localiseFacegateError } from './localise-error.js';

const SETUP_CODES = /^(model\.|DATA_KEY_|GALLERY_DATA_KEY_MISMATCH|GALLERY_WAL_UNAVAILABLE|CALIBRATION_MISSING|CALIBRATION_INVALID|config\.)/;

/** Return a usage error's text in the technician's language; a plain UsageError keeps its English detail. */
function usageDetail(error: UsageError, context: CliContext): string {
  if (!(error instanceof LocalisedUsageError)) return error.message;
  const messages = catalogWith(error.key);
  return messages === undefined ? error.message : messages.translate(context.locale, error.key, error.params);
}

/**
 * Print an error for the technician, localised through every catalog in error-catalogs.ts, and
 * return the exit code. Unexpected errors are also logged with their stack.
 */
export function reportError(context: CliContext, error: unknown): number {
  const { t } = context;
  const print = (message: string, hint: string | undefined): void => {
    context.stderr.write(`${t('error.prefix', { message })}\n`);
    if (hint !== undefined) context.stderr.write(`${t('hint.prefix', { hint })}\n`);
  };

  if (error instanceof UsageError) {
    print(t('usage.invalid', { detail: usageDetail(error, context) }), t('usage.invalid.hint', { command: error.command }));
    return EXIT.usage;
  }
  if (isFacegateError(error)) {
    const { message, hint } = localiseFacegateError(error, context.locale);
    print(message, hint);
    context.logger.debug({ err: error, code: error.code }, 'command failed');
    return SETUP_CODES.test(error.code) ? EXIT.setup : EXIT.failed;
  }
  context.logger.error({ err: error }, 'command failed unexpectedly');
  print(error instanceof Error ? error.message : String(error), undefined);
  return EXIT.failed;
}

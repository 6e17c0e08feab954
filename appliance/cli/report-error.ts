import { isFacegateError } from '../common/errors.js';
import { cliMessages } from './messages.js';
import { EXIT, UsageError, type CliContext } from './context.js';

const SETUP_CODES = /^(model\.|DATA_KEY_|GALLERY_DATA_KEY_MISMATCH|GALLERY_WAL_UNAVAILABLE|CALIBRATION_MISSING|CALIBRATION_INVALID|config\.)/;

/** List the catalog keys tried for an error code, most specific first: `face.quality.too-blurry`, then `face.quality`, then `face`. */
function candidates(code: string): string[] {
  const parts = code.split('.');
  const keys: string[] = [];
  for (let i = parts.length; i > 0; i--) keys.push(parts.slice(0, i).join('.'));
  return keys;
}

/** Rebuild a quality rejection's `details` from its reason codes in the technician's language. */
function localiseDetails(code: string, params: Record<string, string | number>, context: CliContext): Record<string, string | number> {
  if (!code.startsWith('face.quality') || typeof params.reasons !== 'string') return params;
  const parts = params.reasons
    .split(',')
    .map((reason) => `quality.${reason}`)
    .filter((key) => cliMessages.has(key))
    .map((key) => context.t(key as Parameters<CliContext['t']>[0], params));
  return parts.length === 0 ? params : { ...params, details: parts.join(context.locale.startsWith('zh') ? '、' : ', ') };
}

/**
 * Print an error for the technician, localised where the catalog has its code, and return the exit
 * code. Unexpected errors are also logged with their stack.
 */
export function reportError(context: CliContext, error: unknown): number {
  const { t } = context;
  const print = (message: string, hint: string | undefined): void => {
    context.stderr.write(`${t('error.prefix', { message })}\n`);
    if (hint !== undefined) context.stderr.write(`${t('hint.prefix', { hint })}\n`);
  };

  if (error instanceof UsageError) {
    print(t('usage.invalid', { detail: error.message }), t('usage.invalid.hint', { command: error.command }));
    return EXIT.usage;
  }
  if (isFacegateError(error)) {
    const keys = candidates(error.code);
    const messageKey = keys.find((key) => cliMessages.has(key));
    const hintKey = [`${error.code}.hint`, ...keys.slice(1).map((key) => `${key}.hint`)].find((key) => cliMessages.has(key));
    const params = localiseDetails(error.code, { ...error.params }, context);
    // Keep the English detail when the localised template has no placeholder for it.
    const message = messageKey !== undefined && cliMessages.has(messageKey) ? t(messageKey, params) : error.message;
    const hint = hintKey !== undefined && cliMessages.has(hintKey) ? t(hintKey, params) : error.hint;
    print(message, hint);
    context.logger.debug({ err: error, code: error.code }, 'command failed');
    return SETUP_CODES.test(error.code) ? EXIT.setup : EXIT.failed;
  }
  context.logger.error({ err: error }, 'command failed unexpectedly');
  print(error instanceof Error ? error.message : String(error), undefined);
  return EXIT.failed;
}

import { EXIT, UsageError, createContext } from '../../appliance/cli/context.js';
import { reportError } from '../../appliance/cli/report-error.js';
import { isFacegateError } from '../../appliance/common/errors.js';
import { ConfigError } from '../../appliance/config/index.js';
import { formatConfigError } from '../../appliance/config/config-error.js';
import { localiseError } from '../i18n/errors.js';
import { CertificateRejectedError } from '../pki/install.js';
import { RosterInvalidError } from '../roster/import.js';
import type { ProvisionIo } from './io.js';
import { certMessages } from './messages/certs.js';
import { commonMessages } from './messages/common.js';
import { rosterMessages } from './messages/roster.js';

/** Problems listed after a rejected roster; the rest are counted. */
const MAX_LISTED_PROBLEMS = 50;

// Codes that mean the device is not set up, as opposed to input the technician can correct.
const SETUP_CODES = /^(provision\.(not_initialised|identity_invalid|openssl_missing)|KEY_FILE_|config\.|model\.)/;

/** Print an error for the technician in their language and return the exit code. */
export function reportProvisionError(io: ProvisionIo, error: unknown): number {
  if (error instanceof UsageError || !isFacegateError(error)) {
    return reportError(createContext(io.locale, io.logger, io.stdout, io.stderr), error);
  }
  const common = commonMessages.translator(io.locale);
  const write = (line: string): void => void io.stderr.write(`${line}\n`);

  if (error instanceof ConfigError) {
    // Each problem line carries its own fix, so the error has no separate hint line.
    write(common('error', { message: formatConfigError(error, io.locale) }));
    return EXIT.setup;
  }

  const { message, hint } = localiseError(error, io.locale);
  write(common('error', { message }));
  if (error instanceof CertificateRejectedError) {
    const t = certMessages.translator(io.locale);
    for (const problem of error.problems) {
      write(common('problem', { message: t(problem.code, problem.params) }));
      write(common('fix', { fix: t(`${problem.code}.fix`, problem.params) }));
    }
  }
  if (error instanceof RosterInvalidError) {
    const t = rosterMessages.translator(io.locale);
    for (const problem of error.problems.slice(0, MAX_LISTED_PROBLEMS)) write(common('problem', { message: t(problem.code, { line: problem.line, ...problem.params }) }));
    if (error.problems.length > MAX_LISTED_PROBLEMS) write(t('roster.more', { count: error.problems.length - MAX_LISTED_PROBLEMS }));
  }
  if (hint !== undefined) write(common('hint', { hint }));
  io.logger.debug({ err: error, code: error.code }, 'provisioning command failed');
  return SETUP_CODES.test(error.code) ? EXIT.setup : EXIT.failed;
}

import fs from 'node:fs';
import path from 'node:path';

import { FacegateError, errorMessage } from '../../appliance/common/errors.js';
import type { Logger } from '../../appliance/common/logger.js';
import { provisionError, provisionErrors } from '../i18n/errors.js';
import { RosterStore, type ImportCounts } from './store.js';
import { parseRoster, type RosterProblem } from './validate.js';

/** A roster file with one or more invalid lines; `problems` lists each with its line number. */
export class RosterInvalidError extends FacegateError {
  constructor(
    readonly file: string,
    readonly problems: RosterProblem[],
  ) {
    const params = { file, count: problems.length };
    super('provision.roster_invalid', provisionErrors.translate('en', 'provision.roster_invalid', params), {
      hint: provisionErrors.translate('en', 'provision.roster_invalid.hint', params),
      params,
    });
    this.name = 'RosterInvalidError';
  }
}

/**
 * Validate a roster CSV and import it. A file with any invalid line imports nothing, so the roster
 * never contains half a file.
 */
export function importRosterFile(options: { file: string; stateDir: string; logger: Logger; now: Date; replace?: boolean }): ImportCounts & { total: number } {
  let text: string;
  try {
    text = fs.readFileSync(options.file, 'utf8');
  } catch (error) {
    throw provisionError('provision.roster_unreadable', { file: options.file, detail: errorMessage(error) }, error);
  }
  const { workers, problems } = parseRoster(text);
  if (problems.length > 0) {
    options.logger.warn({ file: options.file, problems: problems.length }, 'roster rejected');
    throw new RosterInvalidError(options.file, problems);
  }
  if (workers.length === 0) throw provisionError('provision.roster_empty', { file: options.file });

  const store = RosterStore.open({ stateDir: options.stateDir, logger: options.logger });
  try {
    const counts = store.importWorkers(workers, { source: path.basename(options.file), now: options.now, replace: options.replace ?? false });
    return { ...counts, total: store.count() };
  } finally {
    store.close();
  }
}

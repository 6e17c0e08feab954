import { DOMICILES, type Domicile, type Worker } from './worker.js';
import { parseCsv } from './csv.js';

export const ROSTER_COLUMNS = ['worker_id', 'display_name', 'domicile'] as const;

/** Same rule as gallery subject ids, so a roster id can be enrolled as it is. */
const WORKER_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_NAME_LENGTH = 128;

export type RosterProblemCode =
  | 'csv.unclosed_quote'
  | 'csv.stray_quote'
  | 'roster.header_missing'
  | 'roster.header_unknown'
  | 'roster.header_duplicate'
  | 'roster.columns'
  | 'roster.worker_id'
  | 'roster.duplicate'
  | 'roster.name_empty'
  | 'roster.name_long'
  | 'roster.name_control'
  | 'roster.domicile';

export interface RosterProblem {
  line: number;
  code: RosterProblemCode;
  params: Record<string, string | number>;
}

export interface RosterParseResult {
  workers: Array<Worker & { line: number }>;
  problems: RosterProblem[];
}

/**
 * Read a roster CSV: a header naming worker_id, display_name and domicile (any order, any case),
 * then one worker per line. Every line is checked and every problem is returned with its line
 * number, so the technician can fix the file in one pass.
 */
export function parseRoster(text: string): RosterParseResult {
  const { records, errors } = parseCsv(text);
  const problems: RosterProblem[] = errors.map((error) => ({ line: error.line, code: error.code, params: {} }));
  const [header, ...rows] = records;
  if (header === undefined) {
    problems.push({ line: 1, code: 'roster.header_missing', params: { columns: ROSTER_COLUMNS.join(',') } });
    return { workers: [], problems };
  }

  const names = header.fields.map((field) => field.trim().toLowerCase());
  const column: Partial<Record<(typeof ROSTER_COLUMNS)[number], number>> = {};
  names.forEach((name, index) => {
    if (!(ROSTER_COLUMNS as readonly string[]).includes(name)) {
      problems.push({ line: header.line, code: 'roster.header_unknown', params: { column: name, columns: ROSTER_COLUMNS.join(', ') } });
    } else if (column[name as (typeof ROSTER_COLUMNS)[number]] !== undefined) {
      problems.push({ line: header.line, code: 'roster.header_duplicate', params: { column: name } });
    } else {
      column[name as (typeof ROSTER_COLUMNS)[number]] = index;
    }
  });
  const missing = ROSTER_COLUMNS.filter((name) => column[name] === undefined);
  if (missing.length > 0) {
    problems.push({ line: header.line, code: 'roster.header_missing', params: { columns: missing.join(', ') } });
    return { workers: [], problems };
  }

  const workers: Array<Worker & { line: number }> = [];
  const firstLine = new Map<string, number>();
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      problems.push({ line: row.line, code: 'roster.columns', params: { found: row.fields.length, expected: header.fields.length } });
      continue;
    }
    const workerId = row.fields[column.worker_id!]!.trim();
    const displayName = row.fields[column.display_name!]!.trim().normalize('NFC');
    const domicile = row.fields[column.domicile!]!.trim().toLowerCase();
    const before = problems.length;

    if (!WORKER_ID.test(workerId)) problems.push({ line: row.line, code: 'roster.worker_id', params: { value: workerId } });
    else if (firstLine.has(workerId)) problems.push({ line: row.line, code: 'roster.duplicate', params: { value: workerId, first: firstLine.get(workerId)! } });
    else firstLine.set(workerId, row.line);

    if (displayName === '') problems.push({ line: row.line, code: 'roster.name_empty', params: {} });
    else if ([...displayName].length > MAX_NAME_LENGTH) problems.push({ line: row.line, code: 'roster.name_long', params: { max: MAX_NAME_LENGTH } });
    else if (/\p{Cc}/u.test(displayName)) problems.push({ line: row.line, code: 'roster.name_control', params: {} });

    if (!(DOMICILES as readonly string[]).includes(domicile)) {
      problems.push({ line: row.line, code: 'roster.domicile', params: { value: domicile, allowed: DOMICILES.join(', ') } });
    }
    if (problems.length === before) workers.push({ line: row.line, workerId, displayName, domicile: domicile as Domicile });
  }
  return { workers, problems };
}

/** One CSV record and the 1-based line of the file where it starts. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export interface CsvSyntaxError {
  line: number;
  code: 'csv.unclosed_quote' | 'csv.stray_quote';
}

/**
 * Parse CSV as RFC 4180 writes it: comma separated, fields in double quotes may hold commas, line
 * breaks and doubled quotes. Accepts LF or CRLF line ends and a UTF-8 byte order mark (Excel writes
 * one). Blank lines are skipped; every record keeps the line number it starts on, for error messages.
 */
export function parseCsv(text: string): { records: CsvRecord[]; errors: CsvSyntaxError[] } {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  const errors: CsvSyntaxError[] = [];
  let line = 1;
  let index = 0;

  while (index < source.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let fieldStarted = false;
    let ended = false;
    let broken = false;

    while (index < source.length && !ended) {
      const char = source[index]!;
      if (quoted) {
        if (char === '"' && source[index + 1] === '"') {
          field += '"';
          index += 2;
        } else if (char === '"') {
          quoted = false;
          index += 1;
        } else {
          if (char === '\n') line += 1;
          field += char;
          index += 1;
        }
        continue;
      }
      if (char === '"') {
        // A quote opens a field only at its start; anywhere else the line is malformed.
        if (fieldStarted && !broken) {
          errors.push({ line, code: 'csv.stray_quote' });
          broken = true;
        }
        quoted = !fieldStarted;
        fieldStarted = true;
        index += 1;
      } else if (char === ',') {
        fields.push(field);
        field = '';
        fieldStarted = false;
        index += 1;
      } else if (char === '\n' || char === '\r') {
        index += char === '\r' && source[index + 1] === '\n' ? 2 : 1;
        line += 1;
        ended = true;
      } else {
        field += char;
        fieldStarted = true;
        index += 1;
      }
    }
    if (quoted) {
      errors.push({ line: start, code: 'csv.unclosed_quote' });
      break;
    }
    fields.push(field);
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    if (!broken) records.push({ line: start, fields });
  }
  return { records, errors };
}

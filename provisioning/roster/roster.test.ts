import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { captureLogs } from '../../test/support/logs.js';
import { tempDir } from '../testing.js';
import { parseCsv } from './csv.js';
import { RosterInvalidError, importRosterFile } from './import.js';
import { RosterStore } from './store.js';
import { parseRoster } from './validate.js';
import { consentTrack } from './worker.js';

const root = tempDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and line breaks, and keeps line numbers', () => {
    const { records, errors } = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",z\n');
    expect(errors).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['two\nlines', 'z'] },
    ]);
  });

  it('reports an unclosed quote at the line it opens', () => {
    expect(parseCsv('a,b\n"open,z\nmore\n').errors).toEqual([{ line: 2, code: 'csv.unclosed_quote' }]);
  });

  it('reports a quote inside an unquoted field', () => {
    const { records, errors } = parseCsv('a,b\nab"c,d\ne,f\n');
    expect(errors).toEqual([{ line: 2, code: 'csv.stray_quote' }]);
    expect(records.map((record) => record.line)).toEqual([1, 3]);
  });
});

describe('parseRoster', () => {
  it('accepts the columns in any order and any case, and trims values', () => {
    const { workers, problems } = parseRoster('Domicile,WORKER_ID,display_name\n MAINLAND ,W-001, 陳大文 \nmacau,W.002,"Leong, Ka Man"\nother,w_003,Ana Sousa\n');
    expect(problems).toEqual([]);
    expect(workers).toEqual([
      { line: 2, workerId: 'W-001', displayName: '陳大文', domicile: 'mainland' },
      { line: 3, workerId: 'W.002', displayName: 'Leong, Ka Man', domicile: 'macau' },
      { line: 4, workerId: 'w_003', displayName: 'Ana Sousa', domicile: 'other' },
    ]);
  });

  it('lists every bad line with its number', () => {
    const text = [
      'worker_id,display_name,domicile',
      'W1,Chan Tai Man,macau',
      'W 2,Lee,macau',
      'W3,,mainland',
      'W1,Again,macau',
      'W4,Wong,hongkong',
      'W5,Ho',
      'W6,"Line\nbreak",other',
    ].join('\n');
    const { workers, problems } = parseRoster(text);
    expect(workers.map((worker) => worker.workerId)).toEqual(['W1']);
    expect(problems).toEqual([
      { line: 3, code: 'roster.worker_id', params: { value: 'W 2' } },
      { line: 4, code: 'roster.name_empty', params: {} },
      { line: 5, code: 'roster.duplicate', params: { value: 'W1', first: 2 } },
      { line: 6, code: 'roster.domicile', params: { value: 'hongkong', allowed: 'macau, mainland, other' } },
      { line: 7, code: 'roster.columns', params: { found: 2, expected: 3 } },
      { line: 8, code: 'roster.name_control', params: {} },
    ]);
  });

  it('rejects a header without the required columns, and unknown columns', () => {
    expect(parseRoster('id,name\nW1,A\n').problems).toEqual([
      { line: 1, code: 'roster.header_unknown', params: { column: 'id', columns: 'worker_id, display_name, domicile' } },
      { line: 1, code: 'roster.header_unknown', params: { column: 'name', columns: 'worker_id, display_name, domicile' } },
      { line: 1, code: 'roster.header_missing', params: { columns: 'worker_id, display_name, domicile' } },
    ]);
    expect(parseRoster('').problems).toEqual([{ line: 1, code: 'roster.header_missing', params: { columns: 'worker_id,display_name,domicile' } }]);
  });
});

describe('consentTrack', () => {
  it('picks the law and form language by domicile', () => {
    expect(consentTrack('macau')).toEqual({ law: 'macau-pdpa', formLocale: 'zh-Hant' });
    expect(consentTrack('mainland')).toEqual({ law: 'mainland-pipl', formLocale: 'zh-Hans' });
    expect(consentTrack('other')).toEqual({ law: 'macau-pdpa', formLocale: 'en' });
  });
});

describe('importRosterFile', () => {
  const logs = captureLogs();
  const stateDir = path.join(root, 'state');
  const now = new Date('2025-06-01T08:00:00Z');

  it('stores the workers in roster.db', () => {
    const file = write('first.csv', 'worker_id,display_name,domicile\nW1,陳大文,macau\nW2,李小龍,mainland\n');
    expect(importRosterFile({ file, stateDir, logger: logs.logger, now })).toEqual({ added: 2, updated: 0, unchanged: 0, removed: 0, total: 2 });
    const db = new Database(path.join(stateDir, 'roster.db'), { readonly: true });
    expect(db.prepare('SELECT worker_id, display_name, domicile, source FROM workers ORDER BY worker_id').all()).toEqual([
      { worker_id: 'W1', display_name: '陳大文', domicile: 'macau', source: 'first.csv' },
      { worker_id: 'W2', display_name: '李小龍', domicile: 'mainland', source: 'first.csv' },
    ]);
    db.close();
  });

  it('imports nothing from a file with any bad line', () => {
    const file = write('bad.csv', 'worker_id,display_name,domicile\nW3,Ana,other\nW4,Bad,nowhere\n');
    let error: unknown;
    try {
      importRosterFile({ file, stateDir, logger: logs.logger, now });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RosterInvalidError);
    expect((error as RosterInvalidError).problems.map((problem) => problem.line)).toEqual([3]);
    const store = RosterStore.open({ stateDir, logger: logs.logger });
    expect(store.list().map((worker) => worker.workerId)).toEqual(['W1', 'W2']);
    store.close();
  });

  it('updates changed workers and removes absent ones with replace', () => {
    const file = write('second.csv', 'worker_id,display_name,domicile\nW1,陳大文,macau\nW2,李小龍,other\nW5,Maria,other\n');
    expect(importRosterFile({ file, stateDir, logger: logs.logger, now })).toEqual({ added: 1, updated: 1, unchanged: 1, removed: 0, total: 3 });
    const only = write('only.csv', 'worker_id,display_name,domicile\nW5,Maria,other\n');
    expect(importRosterFile({ file: only, stateDir, logger: logs.logger, now, replace: true })).toMatchObject({ removed: 2, total: 1 });
  });

  it('rejects an empty roster and an unreadable file', () => {
    expect(() => importRosterFile({ file: write('empty.csv', 'worker_id,display_name,domicile\n'), stateDir, logger: logs.logger, now })).toThrow(
      expect.objectContaining({ code: 'provision.roster_empty' }),
    );
    expect(() => importRosterFile({ file: path.join(root, 'missing.csv'), stateDir, logger: logs.logger, now })).toThrow(
      expect.objectContaining({ code: 'provision.roster_unreadable' }),
    );
  });

  it('never logs display names', () => {
    const text = JSON.stringify(logs.lines());
    expect(text).not.toContain('陳大文');
    expect(text).not.toContain('Maria');
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { FacegateError } from '../appliance/common/errors.js';

export interface Pair {
  a: string;
  b: string;
  same: boolean;
  fold: number;
  line: number;
}

/**
 * Read a pairs file of rows `a,b,same,fold` (a header row is optional). Paths are relative to the
 * file's folder unless `imagesDir` is given. Every malformed row is reported with its line number.
 */
export function readPairs(file: string, imagesDir?: string): { pairs: Pair[]; root: string } {
  const root = imagesDir ?? path.dirname(path.resolve(file));
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  const pairs: Pair[] = [];
  const problems: string[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '' || (line === 1 && /^a,b,same,fold$/i.test(text))) return;
    const cells = text.split(',');
    if (cells.length !== 4) {
      problems.push(`line ${line}: expected 4 columns a,b,same,fold, found ${cells.length}`);
      return;
    }
    const [a, b, same, fold] = cells as [string, string, string, string];
    if (same !== '0' && same !== '1') problems.push(`line ${line}: same must be 0 or 1, found "${same}"`);
    if (!/^\d+$/.test(fold)) problems.push(`line ${line}: fold must be a whole number, found "${fold}"`);
    if (a === '' || b === '') problems.push(`line ${line}: empty image path`);
    pairs.push({ a, b, same: same === '1', fold: Number(fold), line });
  });
  if (problems.length > 0) {
    throw new FacegateError('bench.pairs-invalid', `${file} has ${problems.length} invalid row(s):\n${problems.slice(0, 20).join('\n')}`, {
      hint: 'Each row must read a,b,same,fold with same 0 or 1 and fold a whole number.',
    });
  }
  if (pairs.length === 0) throw new FacegateError('bench.pairs-empty', `${file} has no pairs`, { hint: 'Give a file with at least one row a,b,same,fold.' });
  return { pairs, root };
}

/** Identity of an image: the folder it sits in, relative to the images root (LFW layout `<person>/<n>.jpg`). */
export function identityOf(relative: string): string {
  const dir = path.dirname(relative);
  return dir === '.' ? relative : dir;
}

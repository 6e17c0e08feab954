import fs from 'node:fs';

import { shredFile } from '../lifecycle/shred.js';

/**
 * Replace the key at `current` with the one at `pending`, so a reader always finds a whole key:
 * the old key gets a second name, the pending key is renamed over the current one in one step,
 * and the old key is then overwritten and unlinked.
 */
export function promotePendingKey(pending: string, current: string): void {
  const retired = `${current}.retired`;
  fs.rmSync(retired, { force: true });
  const hadCurrent = fs.existsSync(current);
  if (hadCurrent) fs.linkSync(current, retired);
  fs.renameSync(pending, current);
  if (hadCurrent) shredFile(retired);
}

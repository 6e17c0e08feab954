import fs from 'node:fs';

import { shredFile } from '../lifecycle/shred.js';

/**
 * Replace the key at `current` with the one at `pending`, so a reader always finds a whole key.
 * The old key gets a second name, and the pending key is renamed over the current one in one step.
 * Then the old key is overwritten and unlinked.
 */
export function promotePendingKey(pending: string, current: string): void {
  const retired = `${current}.retired`;
  fs.rmSync(retired, { force: true });
  const hadCurrent = fs.existsSync(current);
  if (hadCurrent) fs.linkSync(current, retired);
  fs.renameSync(pending, current);
  if (hadCurrent) shredFile(retired);
}

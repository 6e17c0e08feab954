import fs from 'node:fs';

import { provisionError } from '../i18n/errors.js';

/** The account the daemon runs as (systemd/facegate.sysusers.conf). */
export const SERVICE_USER = 'facegate';

export interface Owner {
  user: string;
  uid: number;
  gid: number;
}

/** Look a user up in /etc/passwd; undefined when absent. */
export function findUser(name: string, passwdFile = '/etc/passwd'): Owner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.split('\n').map((line) => line.split(':')).find((entry) => entry[0] === name);
  if (fields === undefined || fields.length < 4) return undefined;
  return { user: name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * Decide who owns the files provisioning writes into the state folder. An explicit `--owner` must
 * exist. Without it, root hands the files to the service user when that user exists; anyone else
 * keeps them, because only root can change ownership.
 */
export function chooseOwner(requested: string | undefined): Owner | undefined {
  if (requested !== undefined) {
    const owner = findUser(requested);
    if (owner === undefined) throw provisionError('provision.owner_unknown', { user: requested });
    return owner;
  }
  if (process.getuid?.() !== 0) return undefined;
  return findUser(SERVICE_USER);
}

/** Give each existing path to `owner`; does nothing without one. */
export function chownAll(paths: readonly string[], owner: Owner | undefined): void {
  if (owner === undefined) return;
  for (const file of paths) {
    if (fs.existsSync(file)) fs.chownSync(file, owner.uid, owner.gid);
  }
}

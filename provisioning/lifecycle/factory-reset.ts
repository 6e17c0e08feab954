import fs from 'node:fs';
import path from 'node:path';

import type { Logger } from '../../appliance/common/logger.js';
import { provisionError } from '../i18n/errors.js';
import type { StatePaths } from '../paths.js';
import { shredFile } from './shred.js';

// System folders a mistyped --state must never empty.
const FORBIDDEN = new Set(['/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/var', '/var/lib']);

export interface ResetPlan {
  stateDir: string;
  /** Every regular file below the state folder, key material first. */
  files: string[];
  /** Files under keys/ and tls/. */
  keyFiles: number;
}

/**
 * List what a factory reset destroys: every file below the state folder. Refuses a folder that is
 * a system folder or contains no facegate file, so a wrong `--state` cannot wipe something else.
 */
export function planFactoryReset(paths: StatePaths): ResetPlan {
  const stateDir = path.resolve(paths.stateDir);
  const markers = [paths.identityFile, paths.keysDir, paths.tlsDir, paths.galleryDb, paths.outboxDb, paths.rosterDb];
  if (FORBIDDEN.has(stateDir) || !markers.some((marker) => fs.existsSync(marker))) {
    if (!fs.existsSync(stateDir) || fs.readdirSync(stateDir).length === 0) return { stateDir, files: [], keyFiles: 0 };
    throw provisionError('provision.reset_unsafe_dir', { dir: stateDir });
  }
  const keyFolders = [paths.keysDir, paths.tlsDir].map((folder) => path.resolve(folder) + path.sep);
  const isKey = (file: string): boolean => keyFolders.some((folder) => file.startsWith(folder));
  const files = listFiles(stateDir);
  const keys = files.filter(isKey);
  // Keys go first: once they are gone, whatever is left of the gallery cannot be decrypted.
  return { stateDir, files: [...keys, ...files.filter((file) => !isKey(file))], keyFiles: keys.length };
}

/** Overwrite and delete every planned file, then the empty folders below the state folder (the folder itself stays). */
export function runFactoryReset(plan: ResetPlan, logger: Logger): { files: number; bytes: number } {
  let bytes = 0;
  for (const file of plan.files) bytes += shredFile(file);
  removeEmptyFolders(plan.stateDir, false);
  logger.warn({ stateDir: plan.stateDir, files: plan.files.length, bytes }, 'factory reset: state destroyed');
  return { files: plan.files.length, bytes };
}

function listFiles(folder: string): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else files.push(full);
  }
  return files.sort();
}

function removeEmptyFolders(folder: string, removeSelf: boolean): void {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) removeEmptyFolders(path.join(folder, entry.name), true);
  }
  if (removeSelf && fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
}

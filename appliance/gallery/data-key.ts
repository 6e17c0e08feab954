import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** Length of the device data key in bytes (AES-256). */
export const DATA_KEY_BYTES = 32;

const KEYS_DIR_MODE = 0o700;
const KEY_FILE_MODE = 0o600;

/** Path of the device data key inside a state directory. */
export function dataKeyPath(stateDir: string): string {
  return path.join(stateDir, 'keys', 'data.key');
}

/**
 * Read the device data key from `<stateDir>/keys/data.key`, creating it with 32 random bytes on first use.
 *
 * The key folder must be 0700 and the file 0600 (or narrower). A wider mode, a file that is not a
 * regular file or a file of the wrong length raises a FacegateError naming the file and the fix.
 * The key itself is never logged.
 */
export function loadOrCreateDataKey(stateDir: string, logger: Logger): Buffer {
  const file = dataKeyPath(stateDir);
  const folder = path.dirname(file);

  fs.mkdirSync(folder, { recursive: true, mode: KEYS_DIR_MODE });
  checkMode(folder, KEYS_DIR_MODE, 'folder', `chmod 700 ${folder}`);

  if (!fs.existsSync(file)) {
    if (createKeyFile(file)) logger.info({ path: file }, 'created device data key');
  }
  checkMode(file, KEY_FILE_MODE, 'file', `chmod 600 ${file}`);

  const key = readKeyFile(file);
  if (key.length !== DATA_KEY_BYTES) {
    key.fill(0);
    throw new FacegateError(
      'DATA_KEY_INVALID_LENGTH',
      `Device data key ${file} is ${key.length} bytes long, expected ${DATA_KEY_BYTES}.`,
      {
        hint:
          `Restore ${file} from the device backup. Without the original key the gallery cannot be decrypted: ` +
          `move gallery.db and ${file} aside, then enrol every subject again.`,
        params: { path: file, length: key.length, expected: DATA_KEY_BYTES },
      },
    );
  }
  return key;
}

/**
 * Write a new key through a temporary file and a hard link, so a crash never leaves a short key
 * and two processes starting at once agree on one key. Returns false if another process won.
 */
function createKeyFile(file: string): boolean {
  const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const key = crypto.randomBytes(DATA_KEY_BYTES);
  const fd = fs.openSync(temporary, 'wx', KEY_FILE_MODE);
  try {
    // The umask can only narrow the mode, but set it explicitly so the result never depends on it.
    fs.fchmodSync(fd, KEY_FILE_MODE);
    fs.writeSync(fd, key);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  } finally {
    key.fill(0);
  }
  fs.closeSync(fd);

  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    fs.unlinkSync(temporary);
  }
  fsyncDirectory(path.dirname(file));
  return true;
}

function checkMode(target: string, allowed: number, kind: 'file' | 'folder', fix: string): void {
  const stats = fs.lstatSync(target);
  const isExpectedType = kind === 'file' ? stats.isFile() : stats.isDirectory();
  if (!isExpectedType) {
    throw new FacegateError(
      'DATA_KEY_NOT_A_FILE',
      `Device data key ${kind} ${target} is not a regular ${kind === 'file' ? 'file' : 'directory'}.`,
      { hint: `Replace ${target} with the ${kind} from the device backup.`, params: { path: target } },
    );
  }

  const mode = stats.mode & 0o777;
  if ((mode & ~allowed) !== 0) {
    const actualMode = mode.toString(8).padStart(4, '0');
    const expected = allowed.toString(8).padStart(4, '0');
    throw new FacegateError(
      'DATA_KEY_MODE_TOO_OPEN',
      `Device data key ${kind} ${target} has mode ${actualMode}, so users other than its owner can read it; expected ${expected}.`,
      {
        hint: `Run \`${fix}\`, and treat the key as exposed if other users had access to this device.`,
        params: { path: target, mode: actualMode, expected },
      },
    );
  }
}

function readKeyFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new FacegateError('DATA_KEY_UNREADABLE', `Device data key ${file} could not be read: ${(error as Error).message}.`, {
      hint: `Check that ${file} belongs to the user the daemon runs as (for example \`chown facegate: ${file}\`).`,
      params: { path: file },
      cause: error,
    });
  }
}

function fsyncDirectory(folder: string): void {
  const fd = fs.openSync(folder, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

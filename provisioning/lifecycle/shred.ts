import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';

const CHUNK_BYTES = 1 << 20;

/**
 * Overwrite a file's bytes with random data, flush them to the disk, then unlink it.
 *
 * NOTE: on flash storage (SD cards, eMMC) and on journalling or copy-on-write file systems the old
 * blocks may survive an overwrite. What makes the data unreadable is that the keys are destroyed
 * with it: the gallery and key files are ciphertext or key material, and no other copy exists.
 */
export function shredFile(file: string): number {
  const stat = fs.lstatSync(file);
  if (!stat.isFile()) {
    fs.rmSync(file, { force: true });
    return 0;
  }
  const fd = fs.openSync(file, 'r+');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(stat.size, 1)));
    for (let offset = 0; offset < stat.size; offset += buffer.length) {
      const length = Math.min(buffer.length, stat.size - offset);
      randomFillSync(buffer, 0, length);
      fs.writeSync(fd, buffer, 0, length, offset);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.unlinkSync(file);
  return stat.size;
}

/** Shred a file if it exists; returns whether it did. */
export function shredIfPresent(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  shredFile(file);
  return true;
}

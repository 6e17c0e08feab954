import fs from 'node:fs';
import path from 'node:path';

/** Read every file below `dir`, with its bytes. */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(file, fs.readFileSync(file));
  }
  return files;
}

/**
 * Scanner for unencrypted embeddings in raw bytes. It reports any 16-byte window equal to 4
 * consecutive components encoded as float32, little- or big-endian, at any byte offset.
 */
export class PlaintextScanner {
  private readonly windows = new Map<string, true>();

  constructor(embeddings: readonly Float32Array[]) {
    for (const embedding of embeddings) {
      const little = Buffer.alloc(embedding.length * 4);
      const big = Buffer.alloc(embedding.length * 4);
      embedding.forEach((value, i) => {
        little.writeFloatLE(value, i * 4);
        big.writeFloatBE(value, i * 4);
      });
      for (let start = 0; start + 16 <= little.length; start += 4) {
        this.windows.set(little.toString('latin1', start, start + 16), true);
        this.windows.set(big.toString('latin1', start, start + 16), true);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }

  /** Return the byte offsets at which a window of a known embedding occurs. */
  find(bytes: Buffer): number[] {
    const hits: number[] = [];
    const text = bytes.toString('latin1');
    for (let offset = 0; offset + 16 <= text.length; offset++) {
      if (this.windows.has(text.slice(offset, offset + 16))) hits.push(offset);
    }
    return hits;
  }
}

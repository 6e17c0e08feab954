import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { randomUnitVector, seededRandom } from './random-vectors.js';
import { Gallery } from './store.js';

/**
 * Finds plaintext embeddings in raw bytes: any 16-byte window equal to the encoding of 4
 * consecutive components as float32, or 2 consecutive components as float64, in either byte
 * order, at any byte offset.
 */
class PlaintextScanner {
  private readonly windows = new Map<number, Buffer[]>();

  constructor(embeddings: Float32Array[]) {
    for (const embedding of embeddings) {
      const encodings = [
        (buffer: Buffer, value: number, offset: number) => buffer.writeFloatLE(value, offset),
        (buffer: Buffer, value: number, offset: number) => buffer.writeFloatBE(value, offset),
        (buffer: Buffer, value: number, offset: number) => buffer.writeDoubleLE(value, offset),
        (buffer: Buffer, value: number, offset: number) => buffer.writeDoubleBE(value, offset),
      ];
      encodings.forEach((write, kind) => {
        const width = kind < 2 ? 4 : 8;
        const encoded = Buffer.alloc(embedding.length * width);
        embedding.forEach((value, index) => write(encoded, value, index * width));
        for (let start = 0; start + 16 <= encoded.length; start += width) this.addWindow(encoded.subarray(start, start + 16));
      });
    }
  }

  /** Return the byte offsets at which a window of a stored embedding occurs. */
  find(bytes: Buffer): number[] {
    const hits: number[] = [];
    for (let offset = 0; offset + 16 <= bytes.length; offset++) {
      const candidates = this.windows.get(windowHash(bytes, offset));
      if (candidates === undefined) continue;
      const window = bytes.subarray(offset, offset + 16);
      if (candidates.some((candidate) => candidate.equals(window))) hits.push(offset);
    }
    return hits;
  }

  private addWindow(window: Buffer): void {
    const hash = windowHash(window, 0);
    const list = this.windows.get(hash) ?? [];
    list.push(Buffer.from(window));
    this.windows.set(hash, list);
  }
}

/**
 * Mix all 16 bytes of a window: a float64 made from a float32 has four zero bytes, so hashing
 * only the first four would put thousands of windows on one key and slow the scan to a crawl.
 */
function windowHash(bytes: Buffer, offset: number): number {
  const a = bytes.readUInt32LE(offset);
  const b = bytes.readUInt32LE(offset + 4);
  const c = bytes.readUInt32LE(offset + 8);
  const d = bytes.readUInt32LE(offset + 12);
  return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d) ^ Math.imul(d, 0x27d4eb2f)) >>> 0;
}

let stateDir: string;

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-at-rest-'));
});

afterEach(() => {
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function databaseFiles(): string[] {
  return ['gallery.db', 'gallery.db-wal', 'gallery.db-shm'].map((name) => path.join(stateDir, name)).filter((file) => fs.existsSync(file));
}

describe('gallery files at rest', () => {
  const random = seededRandom(20240601);
  const embeddings = Array.from({ length: 12 }, () => randomUnitVector(random, 512));
  const scanner = new PlaintextScanner(embeddings);

  it('scanner finds a planted plaintext embedding', () => {
    // Without this control a scanner that never matches would pass the real test.
    const junk = Buffer.alloc(10_000, 0xa5);
    const plantedFloat32 = Buffer.from(embeddings[3]!.buffer, embeddings[3]!.byteOffset, embeddings[3]!.byteLength);
    const plantedFloat64 = Buffer.from(Float64Array.from(embeddings[5]!).buffer).subarray(8 * 100, 8 * 104);
    const bytes = Buffer.concat([junk.subarray(0, 1001), plantedFloat32.subarray(40, 56), junk, plantedFloat64, junk.subarray(0, 3)]);

    expect(scanner.find(bytes)).toEqual([1001, 1001 + 16 + 10_000, 1001 + 16 + 10_000 + 8, 1001 + 16 + 10_000 + 16]);
    expect(scanner.find(junk)).toEqual([]);
  });

  it('database, WAL and shared memory hold no plaintext embedding', () => {
    const gallery = Gallery.open({ stateDir, logger: silentLogger() });
    try {
      embeddings.forEach((embedding, index) => {
        const subjectId = `W-${1000 + (index % 4)}`;
        if (!gallery.hasSubject(subjectId)) gallery.addSubject(subjectId);
        gallery.addTemplates(subjectId, [embedding], { modelVersion: 'test-model@1', quality: 0.8 });
      });
      expect(gallery.loadTemplates().templates).toHaveLength(12);

      // While open, the newest pages live in the WAL.
      const openFiles = databaseFiles();
      expect(openFiles.map((file) => path.basename(file))).toEqual(['gallery.db', 'gallery.db-wal', 'gallery.db-shm']);
      expect(fs.statSync(path.join(stateDir, 'gallery.db-wal')).size).toBeGreaterThan(12 * 2048);
      for (const file of openFiles) expect(scanner.find(fs.readFileSync(file)), file).toEqual([]);

      gallery.removeSubject('W-1003');
      for (const file of databaseFiles()) expect(scanner.find(fs.readFileSync(file)), file).toEqual([]);
    } finally {
      gallery.close();
    }

    const closedFiles = databaseFiles();
    expect(closedFiles.length).toBeGreaterThan(0);
    for (const file of closedFiles) expect(scanner.find(fs.readFileSync(file)), file).toEqual([]);
  });
});

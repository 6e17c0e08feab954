import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../../appliance/common/logger.js';
import { recordConsentForTests } from '../../appliance/consent/testing.js';
import { Gallery } from '../../appliance/gallery/store.js';
import { Recognizer } from '../../appliance/recognition/recognizer.js';
import { selectSingleFace } from '../../appliance/recognition/select-face.js';
import { decodeImageFile } from '../../appliance/vision/decode.js';
import { runCli } from '../helpers/cli.js';
import { lfwPhoto, makeTempDir } from '../helpers/faces.js';
import { PlaintextScanner, readTree } from '../helpers/plaintext.js';

// No frame, crop or template in clear may reach the disk. Two workers are enrolled and identified
// through the CLI with TMPDIR pointed at a folder of this test; then the state folder (SQLite files
// and their WAL included) and that temporary folder are scanned for image signatures and for any
// 16-byte run of the embeddings the same photos produce.

const PEOPLE = [
  { subject: 'w5001', person: 'aaron_peirsol' },
  { subject: 'w5002', person: 'abdullah' },
] as const;

/** File signatures of the image formats a camera frame or crop could be written in. */
const IMAGE_SIGNATURES: Array<{ format: string; bytes: Buffer }> = [
  { format: 'JPEG', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
  { format: 'PNG', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { format: 'WebP', bytes: Buffer.from('WEBPVP8', 'latin1') },
  { format: 'PPM', bytes: Buffer.from('P6\n', 'latin1') },
];

let stateDir: string;
let tempDir: string;
const photos: string[] = [];

beforeAll(async () => {
  stateDir = makeTempDir('privacy-state');
  tempDir = makeTempDir('privacy-tmp');
  await recordConsentForTests(stateDir, PEOPLE.map((entry) => entry.subject));
  const env = { TMPDIR: tempDir };
  for (const { subject, person } of PEOPLE) {
    const enrol = [lfwPhoto(person, 0), lfwPhoto(person, 2)];
    photos.push(...enrol);
    const run = await runCli(['enroll', '--subject', subject, ...enrol.flatMap((photo) => ['--photo', photo]), '--state', stateDir, '--log-level', 'silent'], env);
    expect(run.code, run.stderr).toBe(0);
    const probe = lfwPhoto(person, 1);
    photos.push(probe);
    const identified = await runCli(['identify', probe, '--state', stateDir, '--log-level', 'silent'], env);
    expect(identified.code, identified.stderr).toBe(0);
    expect(identified.stdout).toContain(subject);
  }
});

afterAll(() => {
  for (const dir of [stateDir, tempDir]) fs.rmSync(dir, { recursive: true, force: true });
});

describe('no plaintext biometrics on disk', () => {
  it('writes SQLite files to scan', () => {
    const names = [...readTree(stateDir).keys()].map((file) => path.relative(stateDir, file));
    expect(names).toEqual(expect.arrayContaining(['gallery.db', 'consent.db']));
  });

  it('leaves no image on disk', () => {
    const hits: string[] = [];
    for (const [file, bytes] of [...readTree(stateDir), ...readTree(tempDir)]) {
      for (const signature of IMAGE_SIGNATURES) {
        const offset = bytes.indexOf(signature.bytes);
        if (offset >= 0) hits.push(`${file}: ${signature.format} signature at byte ${offset}`);
      }
    }
    expect(hits).toEqual([]);
  });

  it('leaves no embedding in clear', async () => {
    const recognizer = await Recognizer.open({ stateDir }, silentLogger(), { needCalibration: false });
    const embeddings: Float32Array[] = [];
    try {
      for (const file of photos) {
        const face = selectSingleFace(await recognizer.pipeline.analyse(await decodeImageFile(file), { maxFaces: 10 }), file, 1);
        embeddings.push(face.embedding!);
      }
    } finally {
      await recognizer.close();
    }
    const scanner = new PlaintextScanner(embeddings);
    expect(scanner.size).toBeGreaterThan(1_000);

    // The scan looks for the right bytes: each stored template, once decrypted, is found by it.
    const gallery = Gallery.open({ stateDir, logger: silentLogger() });
    const templates = gallery.loadTemplates().templates;
    gallery.close();
    expect(templates).toHaveLength(4);
    for (const template of templates) {
      const clear = Buffer.from(template.embedding.buffer, template.embedding.byteOffset, template.embedding.byteLength);
      expect(scanner.find(clear).length, template.templateId).toBeGreaterThan(0);
    }

    const leaks: string[] = [];
    for (const [file, bytes] of [...readTree(stateDir), ...readTree(tempDir)]) {
      const hits = scanner.find(bytes);
      if (hits.length > 0) leaks.push(`${file}: ${hits.length} windows, first at byte ${hits[0]}`);
    }
    expect(leaks).toEqual([]);
  });
});

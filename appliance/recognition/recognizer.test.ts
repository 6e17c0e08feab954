import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { decodeImageFile } from '../vision/decode.js';
import { runCli } from '../../test/helpers/cli.js';
import { lfwPhotos, makeTempDir, pickLfwPeople } from '../../test/helpers/faces.js';
import { PlaintextScanner, readTree } from '../../test/helpers/plaintext.js';
import { decideIdentity, type IdentityDecision } from './decide.js';
import { DEFAULT_MIN_MARGIN, Recognizer, featureModelVersion } from './recognizer.js';
import { selectSingleFace } from './select-face.js';

// Twenty LFW people are enrolled from their first photo and identified from their other photos.
// The next twenty people in name order are strangers who are never enrolled.
const ENROLLED = pickLfwPeople(20, { minPhotos: 3 });
const STRANGERS = pickLfwPeople(20, { minPhotos: 3, skip: 20 });

/** Embeddings this file computes, enrolled or not. None may appear unencrypted on disk. */
const computedEmbeddings: Float32Array[] = [];

interface Identification {
  decision: IdentityDecision;
  subject: string | undefined;
  score: number | undefined;
  liveness: number;
}

/**
 * Identify the face in an LFW photo the way `facegate identify` does, except that LFW portraits can
 * show bystanders, so the face nearest the centre is used.
 */
async function identify(recognizer: Recognizer, file: string): Promise<Identification> {
  const result = await recognizer.pipeline.analyse(await decodeImageFile(file), { maxFaces: 1, order: 'central' });
  const face = selectSingleFace(result, file, 1);
  computedEmbeddings.push(face.embedding!);
  const outcome = decideIdentity(recognizer.matcher.search(face.embedding!), recognizer.threshold().threshold, DEFAULT_MIN_MARGIN);
  return { decision: outcome.decision, subject: outcome.best?.subjectId, score: outcome.best?.score, liveness: face.liveness! };
}

async function openRecognizer(stateDir: string, logger = silentLogger()): Promise<Recognizer> {
  return Recognizer.open({ stateDir }, logger, { needCalibration: true });
}

let stateDir: string;
let recognizer: Recognizer;
/** The state directory's files while the enrolment was still open, WAL included. */
let filesDuringEnrolment: Map<string, Buffer>;

beforeAll(async () => {
  stateDir = makeTempDir('recognition');

  const enrolment = await openRecognizer(stateDir);
  try {
    for (const person of ENROLLED) {
      const file = lfwPhotos(person)[0]!;
      const result = await enrolment.pipeline.analyse(await decodeImageFile(file), { maxFaces: 1, order: 'central' });
      const face = selectSingleFace(result, file, 1);
      computedEmbeddings.push(face.embedding!);
      enrolment.gallery.addSubject(person);
      enrolment.gallery.addTemplates(person, [face.embedding!], { modelVersion: featureModelVersion(enrolment.pipeline), quality: 1 });
    }
    filesDuringEnrolment = readTree(stateDir);
  } finally {
    await enrolment.close();
  }

  // A new recognizer decrypts the templates from disk, as each CLI command does.
  recognizer = await openRecognizer(stateDir);
});

afterAll(async () => {
  await recognizer?.close();
  if (stateDir !== undefined) fs.rmSync(stateDir, { recursive: true, force: true });
});

describe('Recognizer on 20 enrolled LFW people', () => {
  it('loads one template per enrolled person', () => {
    expect(recognizer.matcher.size).toBe(20);
    expect(recognizer.gallery.listSubjects().map((s) => s.id)).toEqual([...ENROLLED].sort());
  });

  it('identifies their other photos', async () => {
    // All 67 photos were identified correctly when this test was written.
    const misses: string[] = [];
    let total = 0;
    for (const person of ENROLLED) {
      for (const file of lfwPhotos(person).slice(1)) {
        total++;
        const result = await identify(recognizer, file);
        if (result.decision !== 'match' || result.subject !== person) {
          misses.push(`${path.basename(path.dirname(file))}/${path.basename(file)}: ${result.decision} ${result.subject} ${result.score?.toFixed(3)}`);
        }
      }
    }
    expect(total).toBeGreaterThanOrEqual(40);
    expect((total - misses.length) / total, misses.join('\n')).toBeGreaterThanOrEqual(0.95);
  });

  it('returns unknown for strangers', async () => {
    const matched: string[] = [];
    for (const person of STRANGERS) {
      expect(ENROLLED).not.toContain(person);
      const result = await identify(recognizer, lfwPhotos(person)[0]!);
      if (result.decision !== 'unknown') matched.push(`${person}: ${result.decision} ${result.subject} ${result.score?.toFixed(3)}`);
    }
    expect(matched).toEqual([]);
  });

  it('uses the threshold for 20 templates', () => {
    const threshold = recognizer.threshold();
    expect(threshold.comparisons).toBe(20);
    expect(threshold.targetFpir).toBe(0.01);
    expect(threshold.threshold).toBeGreaterThan(0.2);
    expect(threshold.threshold).toBeLessThan(0.6);
  });
});

describe('gallery commands on the enrolled gallery', () => {
  it('lists every subject with its template', async () => {
    const run = await runCli(['gallery', 'list', '--json', '--state', stateDir, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(0);
    const subjects = JSON.parse(run.stdout) as Array<{ id: string; templates: number; pseudonym: string }>;
    expect(subjects.map((s) => s.id)).toEqual([...ENROLLED].sort());
    expect(subjects.every((s) => s.templates === 1)).toBe(true);
    expect(new Set(subjects.map((s) => s.pseudonym)).size).toBe(20);
    for (const subject of subjects) expect(subject.pseudonym).toMatch(/^[0-9a-f]{32}$/);
  });

  it('removes a subject for good', async () => {
    const victim = ENROLLED[3]!;
    const before = await identify(recognizer, lfwPhotos(victim)[1]!);
    expect(before.subject).toBe(victim);

    const run = await runCli(['gallery', 'remove', victim, '--state', stateDir, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Removed ${victim}`);

    const reopened = await openRecognizer(stateDir);
    try {
      expect(reopened.matcher.size).toBe(19);
      expect(reopened.gallery.hasSubject(victim)).toBe(false);
      const after = await identify(reopened, lfwPhotos(victim)[1]!);
      expect(after.decision).toBe('unknown');
      const other = ENROLLED[4]!;
      expect((await identify(reopened, lfwPhotos(other)[1]!)).subject).toBe(other);
    } finally {
      await reopened.close();
    }
  });
});

describe('tampered gallery row', () => {
  const tampered = ENROLLED[7]!;
  const logLines: Array<Record<string, unknown>> = [];
  let afterTampering: Recognizer;

  beforeAll(async () => {
    // Flip one ciphertext byte of the subject's template with SQLite directly.
    const db = new Database(path.join(stateDir, 'gallery.db'));
    const row = db.prepare('SELECT id, ciphertext FROM templates WHERE subject_id = ?').get(tampered) as { id: string; ciphertext: Buffer };
    row.ciphertext[100] = row.ciphertext[100]! ^ 0x01;
    db.prepare('UPDATE templates SET ciphertext = ? WHERE id = ?').run(row.ciphertext, row.id);
    db.close();

    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
    afterTampering = await openRecognizer(stateDir, logger);
  });

  afterAll(async () => {
    await afterTampering?.close();
  });

  it('logs an error naming the subject', () => {
    const rejected = logLines.filter((line) => line.msg === 'gallery row rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.level).toBe(50);
    expect(rejected[0]!.subject).toBe(tampered);
    const error = rejected[0]!.err as { message: string; code: string };
    expect(error.code).toBe('GALLERY_ROW_CORRUPT');
    expect(error.message).toContain(`subject '${tampered}'`);
    expect(error.message).toContain('failed authenticated decryption');
  });

  it('drops only that subject from the matcher', async () => {
    expect(afterTampering.matcher.size).toBe(18);
    const result = await identify(afterTampering, lfwPhotos(tampered)[1]!);
    expect(result.decision).not.toBe('match');
  });

  it('still identifies everyone else', async () => {
    for (const person of [ENROLLED[0]!, ENROLLED[6]!, ENROLLED[8]!, ENROLLED[19]!]) {
      const result = await identify(afterTampering, lfwPhotos(person)[1]!);
      expect(result.decision, person).toBe('match');
      expect(result.subject, person).toBe(person);
    }
  });

  it('identify warns about the tampered subject', async () => {
    const run = await runCli(['identify', lfwPhotos(ENROLLED[0]!)[1]!, '--state', stateDir, '--lang', 'en', '--log-level', 'silent']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(tampered);
  });
});

describe('embeddings at rest', () => {
  it('scanner finds planted embedding bytes', () => {
    const scanner = new PlaintextScanner(computedEmbeddings);
    expect(scanner.size).toBeGreaterThan(100_000);
    const sample = computedEmbeddings[5]!;
    const leaked = Buffer.alloc(1000);
    Buffer.from(sample.buffer, sample.byteOffset + 40, 16).copy(leaked, 333);
    expect(scanner.find(leaked)).toEqual([333]);
    expect(scanner.find(Buffer.alloc(1000))).toEqual([]);
  });

  it('leaves no plaintext embedding on disk', () => {
    expect(computedEmbeddings.length).toBeGreaterThanOrEqual(100);
    const scanner = new PlaintextScanner(computedEmbeddings);

    const names = [...filesDuringEnrolment.keys()].map((file) => path.relative(stateDir, file)).sort();
    expect(names).toEqual(expect.arrayContaining(['gallery.db', 'gallery.db-wal', path.join('keys', 'data.key')]));

    const leaks: string[] = [];
    for (const [file, bytes] of [...filesDuringEnrolment, ...readTree(stateDir)]) {
      const hits = scanner.find(bytes);
      if (hits.length > 0) leaks.push(`${file}: ${hits.length} windows, first at byte ${hits[0]}`);
    }
    expect(leaks).toEqual([]);
  });
});

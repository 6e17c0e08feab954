import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { silentLogger } from '../common/logger.js';
import { dataKeyPath } from './data-key.js';
import { randomUnitVector, seededRandom } from './random-vectors.js';
import { GALLERY_SCHEMA_VERSION } from './schema.js';
import { Gallery, type GalleryTemplate } from './store.js';
import { captureFacegateError } from './test-helpers.js';

const MODEL = 'test-model@1';

let stateDir: string;
let gallery: Gallery | undefined;

beforeEach(() => {
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'facegate-gallery-'));
});

afterEach(() => {
  gallery?.close();
  gallery = undefined;
  fs.rmSync(stateDir, { recursive: true, force: true });
});

function open(): Gallery {
  gallery = Gallery.open({ stateDir, logger: silentLogger() });
  return gallery;
}

function reopen(): Gallery {
  gallery?.close();
  return open();
}

/** Open the database file directly, as an attacker or a damaged disk would change it. */
function rawDatabase(): Database.Database {
  return new Database(path.join(stateDir, 'gallery.db'));
}

function enrol(target: Gallery, subjectId: string, count: number, seed: number): Map<string, Float32Array> {
  const random = seededRandom(seed);
  const embeddings = Array.from({ length: count }, () => randomUnitVector(random, 512));
  if (!target.hasSubject(subjectId)) target.addSubject(subjectId);
  const ids = target.addTemplates(subjectId, embeddings, { modelVersion: MODEL, quality: 0.9 });
  return new Map(ids.map((id, index) => [id, embeddings[index]!]));
}

function bySubject(templates: GalleryTemplate[], subjectId: string): GalleryTemplate[] {
  return templates.filter((template) => template.subjectId === subjectId);
}

describe('Gallery storage', () => {
  it('round-trips enrolled templates across reopen', () => {
    const first = open();
    first.addSubject('W-1001', { displayName: '陳大文' });
    const alice = enrol(first, 'W-1001', 3, 1);
    const bob = enrol(first, 'W-1002', 2, 2);

    const { templates, rejected } = reopen().loadTemplates();

    expect(rejected).toEqual([]);
    expect(templates).toHaveLength(5);
    for (const [id, embedding] of [...alice, ...bob]) {
      const loaded = templates.find((template) => template.templateId === id);
      expect(loaded?.embedding).toEqual(embedding);
      expect(loaded?.modelVersion).toBe(MODEL);
      expect(loaded?.quality).toBeCloseTo(0.9);
    }
    expect(bySubject(templates, 'W-1001').map((template) => template.templateId).sort()).toEqual([...alice.keys()].sort());
  });

  it('lists subjects with counts and pseudonyms', () => {
    const target = open();
    const before = Date.now();
    target.addSubject('W-1001', { displayName: 'Ana Lopes' });
    enrol(target, 'W-1001', 3, 1);
    target.addSubject('W-1000');

    const subjects = target.listSubjects();

    expect(subjects.map((subject) => [subject.id, subject.templates, subject.displayName])).toEqual([
      ['W-1000', 0, undefined],
      ['W-1001', 3, 'Ana Lopes'],
    ]);
    expect(subjects[1]!.pseudonym).toBe(target.pseudonymFor('W-1001'));
    expect(subjects[1]!.createdAt.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('keeps pseudonyms stable across reopen', () => {
    const pseudonym = open().pseudonymFor('W-1001');
    expect(pseudonym).toMatch(/^[0-9a-f]{32}$/);
    expect(reopen().pseudonymFor('W-1001')).toBe(pseudonym);
  });

  it('filters templates by model version', () => {
    const target = open();
    target.addSubject('W-1001');
    target.addTemplates('W-1001', [randomUnitVector(seededRandom(1), 512)], { modelVersion: 'old@1', quality: 0.5 });
    target.addTemplates('W-1001', [randomUnitVector(seededRandom(2), 512)], { modelVersion: 'new@2', quality: [0.7] });

    const loaded = target.loadTemplates({ modelVersion: 'new@2' }).templates;

    expect(loaded.map((template) => [template.modelVersion, template.quality])).toEqual([['new@2', 0.7]]);
  });

  it('configures WAL, full sync and secure delete', () => {
    open();
    const db = rawDatabase();
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(GALLERY_SCHEMA_VERSION);
    } finally {
      db.close();
    }
    // synchronous and secure_delete are per connection, so read them through the gallery's own.
    const connection = (gallery as unknown as { db: Database.Database }).db;
    expect(connection.pragma('synchronous', { simple: true })).toBe(2);
    expect(connection.pragma('secure_delete', { simple: true })).toBe(1);
    expect(fs.statSync(path.join(stateDir, 'gallery.db')).mode & 0o777).toBe(0o600);
  });
});

describe('Gallery input checks', () => {
  it.each(['', 'a'.repeat(65), 'has space', 'ünï', '../etc', 'a/b'])('rejects subject id %j', (id) => {
    const error = captureFacegateError(() => open().addSubject(id), 'GALLERY_SUBJECT_ID_INVALID');
    expect(error.message).toContain(JSON.stringify(id));
    gallery?.close();
    gallery = undefined;
  });

  it('accepts the full subject id alphabet', () => {
    const id = `AZaz09._-${'x'.repeat(55)}`;
    expect(id).toHaveLength(64);
    expect(open().addSubject(id).id).toBe(id);
  });

  it('rejects a duplicate subject', () => {
    const target = open();
    target.addSubject('W-1001');
    captureFacegateError(() => target.addSubject('W-1001'), 'GALLERY_SUBJECT_EXISTS');
  });

  it('rejects templates for an unknown subject', () => {
    const error = captureFacegateError(
      () => open().addTemplates('W-404', [randomUnitVector(seededRandom(1), 512)], { modelVersion: MODEL, quality: 1 }),
      'GALLERY_SUBJECT_NOT_FOUND',
    );
    expect(error.message).toContain('W-404');
  });

  it('rejects bad embeddings without storing any', () => {
    const target = open();
    target.addSubject('W-1001');
    const good = randomUnitVector(seededRandom(1), 512);
    const withNaN = Float32Array.from(good);
    withNaN[7] = Number.NaN;

    captureFacegateError(() => target.addTemplates('W-1001', [good, new Float32Array(128)], { modelVersion: MODEL, quality: 1 }), 'EMBEDDING_INVALID');
    captureFacegateError(() => target.addTemplates('W-1001', [good, withNaN], { modelVersion: MODEL, quality: 1 }), 'EMBEDDING_INVALID');
    captureFacegateError(() => target.addTemplates('W-1001', [new Float32Array(512)], { modelVersion: MODEL, quality: 1 }), 'EMBEDDING_INVALID');
    captureFacegateError(() => target.addTemplates('W-1001', [], { modelVersion: MODEL, quality: 1 }), 'GALLERY_NO_EMBEDDINGS');
    captureFacegateError(() => target.addTemplates('W-1001', [good], { modelVersion: '', quality: 1 }), 'GALLERY_MODEL_VERSION_INVALID');
    captureFacegateError(() => target.addTemplates('W-1001', [good], { modelVersion: MODEL, quality: [1, 2] }), 'GALLERY_QUALITY_INVALID');
    captureFacegateError(() => target.addTemplates('W-1001', [good], { modelVersion: MODEL, quality: Number.NaN }), 'GALLERY_QUALITY_INVALID');

    expect(target.listSubjects()[0]!.templates).toBe(0);
  });

  it('rejects calls after close', () => {
    const target = open();
    target.close();
    captureFacegateError(() => target.listSubjects(), 'GALLERY_CLOSED');
  });
});

describe('Gallery tampering', () => {
  function tamper(sql: string, ...params: unknown[]): void {
    gallery?.close();
    gallery = undefined;
    const db = rawDatabase();
    try {
      const changes = db.prepare(sql).run(...params).changes;
      expect(changes).toBe(1);
    } finally {
      db.close();
    }
  }

  function expectOnlyRejected(templateId: string, subjectId: string, others: Map<string, Float32Array>): void {
    const { templates, rejected } = open().loadTemplates();

    expect(rejected).toHaveLength(1);
    const error = rejected[0]!;
    expect(error.code).toBe('GALLERY_ROW_CORRUPT');
    expect(error.message).toContain(`'${subjectId}'`);
    expect(error.message).toContain(templateId);
    expect(error.message).toContain('corrupt');
    expect(error.hint).toContain(`Remove subject '${subjectId}' and enrol them again`);
    expect(error.params).toEqual({ subject: subjectId, template: templateId });

    expect(templates.map((template) => template.templateId).sort()).toEqual([...others.keys()].sort());
    for (const template of templates) expect(template.embedding).toEqual(others.get(template.templateId));
  }

  function enrolTwo(): { alice: Map<string, Float32Array>; bob: Map<string, Float32Array> } {
    const target = open();
    return { alice: enrol(target, 'alice', 3, 1), bob: enrol(target, 'bob', 2, 2) };
  }

  function without(map: Map<string, Float32Array>, id: string): Map<string, Float32Array> {
    const copy = new Map(map);
    copy.delete(id);
    return copy;
  }

  it('rejects a flipped ciphertext byte', () => {
    const { alice, bob } = enrolTwo();
    const victim = [...alice.keys()][1]!;
    gallery?.close();
    gallery = undefined;
    const db = rawDatabase();
    const row = db.prepare('SELECT ciphertext FROM templates WHERE id = ?').get(victim) as { ciphertext: Buffer };
    db.close();
    row.ciphertext[17]! ^= 0x40;
    tamper('UPDATE templates SET ciphertext = ? WHERE id = ?', row.ciphertext, victim);

    expectOnlyRejected(victim, 'alice', new Map([...without(alice, victim), ...bob]));
  });

  it('rejects a changed tag', () => {
    const { alice, bob } = enrolTwo();
    const victim = [...alice.keys()][0]!;
    tamper('UPDATE templates SET tag = ? WHERE id = ?', crypto.randomBytes(16), victim);

    expectOnlyRejected(victim, 'alice', new Map([...without(alice, victim), ...bob]));
  });

  it('rejects a changed nonce', () => {
    const { alice, bob } = enrolTwo();
    const victim = [...bob.keys()][0]!;
    tamper('UPDATE templates SET nonce = ? WHERE id = ?', crypto.randomBytes(12), victim);

    expectOnlyRejected(victim, 'bob', new Map([...alice, ...without(bob, victim)]));
  });

  it('rejects a row moved to another subject', () => {
    const { alice, bob } = enrolTwo();
    const victim = [...alice.keys()][2]!;
    tamper("UPDATE templates SET subject_id = 'bob' WHERE id = ?", victim);

    // The row now claims to be bob's, so the error names bob: that is the subject to re-enrol.
    expectOnlyRejected(victim, 'bob', new Map([...without(alice, victim), ...bob]));
  });

  it('rejects a changed model version', () => {
    const { alice, bob } = enrolTwo();
    const victim = [...alice.keys()][0]!;
    tamper("UPDATE templates SET model_version = 'other@9' WHERE id = ?", victim);

    expectOnlyRejected(victim, 'alice', new Map([...without(alice, victim), ...bob]));
  });

  it('rejects a ciphertext copied between templates', () => {
    const { alice, bob } = enrolTwo();
    const [source, victim] = [...alice.keys()] as [string, string];
    tamper(
      'UPDATE templates SET (nonce, ciphertext, tag) = (SELECT nonce, ciphertext, tag FROM templates WHERE id = ?) WHERE id = ?',
      source,
      victim,
    );

    expectOnlyRejected(victim, 'alice', new Map([...without(alice, victim), ...bob]));
  });

  it('rejects all templates of a subject whose key row was swapped', () => {
    const { alice } = enrolTwo();
    tamper(
      "UPDATE subject_keys SET (nonce, wrapped_key, tag) = (SELECT nonce, wrapped_key, tag FROM subject_keys WHERE subject_id = 'alice') WHERE subject_id = 'bob'",
    );

    const { templates, rejected } = open().loadTemplates();

    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.code).toBe('GALLERY_SUBJECT_KEY_CORRUPT');
    expect(rejected[0]!.message).toContain("'bob'");
    expect(rejected[0]!.params).toMatchObject({ subject: 'bob', templates: 2 });
    expect(templates.map((template) => template.templateId).sort()).toEqual([...alice.keys()].sort());
  });

  it('rejects templates under a corrupt key', () => {
    enrolTwo();
    tamper("UPDATE subject_keys SET tag = zeroblob(16) WHERE subject_id = 'alice'");

    const target = open();
    captureFacegateError(
      () => target.addTemplates('alice', [randomUnitVector(seededRandom(9), 512)], { modelVersion: MODEL, quality: 1 }),
      'GALLERY_SUBJECT_KEY_CORRUPT',
    );
  });
});

describe('Gallery subject removal', () => {
  it('shreds the key and deletes every row', () => {
    const target = open();
    const alice = enrol(target, 'alice', 3, 1);
    const bob = enrol(target, 'bob', 2, 2);

    const result = target.removeSubject('alice');

    expect(result).toEqual({ removed: true, templates: 3 });
    const db = rawDatabase();
    try {
      expect(db.prepare("SELECT COUNT(*) AS n FROM subject_keys WHERE subject_id = 'alice'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT COUNT(*) AS n FROM templates WHERE subject_id = 'alice'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT COUNT(*) AS n FROM subjects WHERE id = 'alice'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }

    const reopened = reopen();
    expect(reopened.listSubjects().map((subject) => subject.id)).toEqual(['bob']);
    const { templates, rejected } = reopened.loadTemplates();
    expect(rejected).toEqual([]);
    expect(templates.map((template) => template.templateId).sort()).toEqual([...bob.keys()].sort());
    expect(templates.some((template) => alice.has(template.templateId))).toBe(false);
  });

  it('leaves kept copies of removed rows undecryptable', () => {
    const target = open();
    enrol(target, 'alice', 2, 1);
    const db = rawDatabase();
    const keptTemplates = db.prepare("SELECT * FROM templates WHERE subject_id = 'alice'").all() as Array<Record<string, unknown>>;
    const keptKey = db.prepare("SELECT * FROM subject_keys WHERE subject_id = 'alice'").get() as { wrapped_key: Buffer };
    db.close();

    target.removeSubject('alice');

    // Enrolling the same id again creates a new key; the old rows, put back, cannot be read with it.
    target.addSubject('alice');
    const restore = rawDatabase();
    const insert = restore.prepare(
      'INSERT INTO templates (id, subject_id, model_version, quality, created_at, nonce, ciphertext, tag) VALUES (@id, @subject_id, @model_version, @quality, @created_at, @nonce, @ciphertext, @tag)',
    );
    for (const row of keptTemplates) insert.run(row);
    restore.close();

    const { templates, rejected } = target.loadTemplates();
    expect(templates).toEqual([]);
    expect(rejected.map((error) => error.code)).toEqual(['GALLERY_ROW_CORRUPT', 'GALLERY_ROW_CORRUPT']);

    // The old wrapped key is gone from every database file, including the WAL.
    target.removeSubject('alice');
    for (const suffix of ['', '-wal', '-shm']) {
      const file = path.join(stateDir, `gallery.db${suffix}`);
      if (!fs.existsSync(file)) continue;
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(keptKey.wrapped_key), `wrapped key found in ${file}`).toBe(false);
      for (const row of keptTemplates) {
        expect(bytes.includes((row.ciphertext as Buffer).subarray(0, 64)), `ciphertext found in ${file}`).toBe(false);
      }
    }
  });

  it('returns removed false for an unknown subject', () => {
    expect(open().removeSubject('nobody')).toEqual({ removed: false, templates: 0 });
  });
});

describe('Gallery data key', () => {
  it('rejects a data key from elsewhere', () => {
    enrol(open(), 'alice', 1, 1);
    gallery!.close();
    gallery = undefined;
    fs.writeFileSync(dataKeyPath(stateDir), crypto.randomBytes(32), { mode: 0o600 });

    const error = captureFacegateError(() => open(), 'GALLERY_DATA_KEY_MISMATCH');
    gallery = undefined;
    expect(error.message).toContain('gallery.db');
    expect(error.hint).toContain('backup');
  });

  it('rejects a newer schema version', () => {
    open();
    gallery!.close();
    gallery = undefined;
    const db = rawDatabase();
    db.pragma(`user_version = ${GALLERY_SCHEMA_VERSION + 1}`);
    db.close();

    captureFacegateError(() => open(), 'GALLERY_SCHEMA_TOO_NEW');
    gallery = undefined;
  });
});

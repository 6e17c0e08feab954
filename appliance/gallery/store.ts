import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type Database from 'better-sqlite3';

import { FacegateError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  decryptTemplate,
  deriveGalleryKeys,
  encryptTemplate,
  keyCheckValue,
  newSubjectKey,
  pseudonymOf,
  unwrapSubjectKey,
  wipeGalleryKeys,
  wrapSubjectKey,
  type GalleryKeys,
  type SealedBox,
} from './crypto.js';
import { loadOrCreateDataKey } from './data-key.js';
import { openGalleryDatabase } from './schema.js';
import { validateEmbedding, validateSubjectId } from './validate.js';


/** Embedding length the vision pipeline produces. */
export const DEFAULT_EMBEDDING_DIMENSION = 512;

export interface GalleryOptions {
  /** Daemon state directory; the gallery lives in `gallery.db` and the key in `keys/data.key` below it. */
  stateDir: string;
  logger: Logger;
  /** Length every stored embedding must have; 512 by default. */
  dimension?: number;
}

export interface SubjectSummary {
  id: string;
  displayName: string | undefined;
  /** Pseudonymous id used on the wire in place of `id`. */
  pseudonym: string;
  /** Number of stored templates, over all model versions. */
  templates: number;
  createdAt: Date;
}

/** A decrypted template, ready for the matcher. Lives in memory only. */
export interface GalleryTemplate {
  templateId: string;
  subjectId: string;
  modelVersion: string;
  quality: number;
  createdAt: Date;
  embedding: Float32Array;
}

export interface LoadResult {
  templates: GalleryTemplate[];
  /** One FacegateError per corrupt template row, or per subject whose key row is corrupt; already logged. */
  rejected: FacegateError[];
}

export interface RemovalResult {
  /** False when no subject had this id (removal is idempotent). */
  removed: boolean;
  /** Number of template rows deleted. */
  templates: number;
}

interface TemplateRow {
  id: string;
  subject_id: string;
  model_version: string;
  quality: number;
  created_at: number;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

interface KeyRow {
  nonce: Buffer;
  wrapped_key: Buffer;
  tag: Buffer;
}

const MAX_DISPLAY_NAME_LENGTH = 128;
const MAX_MODEL_VERSION_LENGTH = 128;

/**
 * The enrolled faces of this device: subjects, their wrapped keys and their encrypted templates
 * in `<stateDir>/gallery.db`. Each subject's templates are encrypted under a key of its own, and
 * removing a subject deletes that key (crypto-shredding). All calls are synchronous.
 */
export class Gallery {
  readonly file: string;
  readonly dimension: number;

  private readonly db: Database.Database;
  private readonly keys: GalleryKeys;
  private readonly logger: Logger;
  private closed = false;

  private constructor(db: Database.Database, keys: GalleryKeys, file: string, dimension: number, logger: Logger) {
    this.db = db;
    this.keys = keys;
    this.file = file;
    this.dimension = dimension;
    this.logger = logger;
  }

  /**
   * Open the gallery, creating the state directory, the data key and the database on first use.
   * Raises a FacegateError when the data key is unsafe or is not the key this gallery was created with.
   */
  static open(options: GalleryOptions): Gallery {
    const dimension = options.dimension ?? DEFAULT_EMBEDDING_DIMENSION;
    if (!Number.isInteger(dimension) || dimension < 1) {
      throw new FacegateError('GALLERY_DIMENSION_INVALID', `Embedding dimension ${dimension} is invalid; expected a positive integer.`, {
        hint: 'Pass the length of the embeddings the vision model produces, for example 512.',
        params: { dimension },
      });
    }
    const logger = options.logger.child({ module: 'gallery' });

    fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
    const dataKey = loadOrCreateDataKey(options.stateDir, logger);
    const keys = deriveGalleryKeys(dataKey);
    dataKey.fill(0);

    const file = path.join(options.stateDir, 'gallery.db');
    let db: Database.Database;
    try {
      db = openGalleryDatabase(file);
    } catch (error) {
      wipeGalleryKeys(keys);
      throw error;
    }

    const gallery = new Gallery(db, keys, file, dimension, logger);
    try {
      gallery.checkDataKey();
    } catch (error) {
      gallery.close();
      throw error;
    }

    const counts = db.prepare('SELECT (SELECT COUNT(*) FROM subjects) AS subjects, (SELECT COUNT(*) FROM templates) AS templates').get() as {
      subjects: number;
      templates: number;
    };
    logger.info({ path: file, ...counts }, 'gallery opened');
    return gallery;
  }

  /** Return whether a subject with this id is enrolled. */
  hasSubject(subjectId: string): boolean {
    this.ensureOpen();
    return this.db.prepare('SELECT 1 FROM subjects WHERE id = ?').get(subjectId) !== undefined;
  }

  /** Create a subject and its key. Raises GALLERY_SUBJECT_EXISTS if the id is taken. */
  addSubject(subjectId: string, options: { displayName?: string } = {}): SubjectSummary {
    this.ensureOpen();
    validateSubjectId(subjectId);
    const displayName = validateDisplayName(options.displayName);
    if (this.hasSubject(subjectId)) {
      throw new FacegateError('GALLERY_SUBJECT_EXISTS', `Subject '${subjectId}' is already enrolled.`, {
        hint: `Add templates to the existing subject, or remove subject '${subjectId}' first to enrol it again.`,
        params: { subject: subjectId },
      });
    }

    const createdAt = Date.now();
    const pseudonym = this.pseudonymFor(subjectId);
    const subjectKey = newSubjectKey();
    try {
      const wrapped = wrapSubjectKey(this.keys.wrapKey, subjectId, subjectKey);
      this.db.transaction(() => {
        this.db
          .prepare('INSERT INTO subjects (id, display_name, pseudonym, created_at) VALUES (?, ?, ?, ?)')
          .run(subjectId, displayName ?? null, pseudonym, createdAt);
        this.db
          .prepare('INSERT INTO subject_keys (subject_id, nonce, wrapped_key, tag) VALUES (?, ?, ?, ?)')
          .run(subjectId, wrapped.nonce, wrapped.ciphertext, wrapped.tag);
      })();
    } finally {
      subjectKey.fill(0);
    }

    this.logger.info({ subject: subjectId }, 'subject added');
    return { id: subjectId, displayName, pseudonym, templates: 0, createdAt: new Date(createdAt) };
  }

  /**
   * Encrypt and store embeddings for an enrolled subject, all in one transaction.
   * `quality` is one score for all embeddings or one per embedding. Returns the new template ids.
   */
  addTemplates(
    subjectId: string,
    embeddings: readonly Float32Array[],
    options: { modelVersion: string; quality: number | readonly number[] },
  ): string[] {
    this.ensureOpen();
    validateSubjectId(subjectId);
    validateModelVersion(options.modelVersion);
    if (embeddings.length === 0) {
      throw new FacegateError('GALLERY_NO_EMBEDDINGS', `No embeddings were given for subject '${subjectId}'.`, {
        hint: 'Capture at least one face that passes the quality gate before storing templates.',
        params: { subject: subjectId },
      });
    }
    embeddings.forEach((embedding, index) => validateEmbedding(embedding, this.dimension, `embedding ${index} of subject '${subjectId}'`));
    const qualities = expandQuality(options.quality, embeddings.length, subjectId);

    const subjectKey = this.subjectKey(subjectId);
    const createdAt = Date.now();
    const ids: string[] = [];
    try {
      const insert = this.db.prepare(
        `INSERT INTO templates (id, subject_id, model_version, quality, created_at, nonce, ciphertext, tag)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.db.transaction(() => {
        embeddings.forEach((embedding, index) => {
          const templateId = crypto.randomUUID();
          const box = encryptTemplate(subjectKey, { subjectId, templateId, modelVersion: options.modelVersion }, embedding);
          insert.run(templateId, subjectId, options.modelVersion, qualities[index]!, createdAt, box.nonce, box.ciphertext, box.tag);
          ids.push(templateId);
        });
      })();
    } finally {
      subjectKey.fill(0);
    }

    this.logger.info({ subject: subjectId, templates: ids.length, modelVersion: options.modelVersion }, 'templates added');
    return ids;
  }

  /**
   * Remove a subject: delete its key row (which makes every copy of its templates undecryptable),
   * its template rows and its subject row in one transaction. `secure_delete` zeroes the freed
   * bytes, and a TRUNCATE checkpoint then empties the WAL file that still contains the old pages.
   */
  removeSubject(subjectId: string): RemovalResult {
    this.ensureOpen();
    validateSubjectId(subjectId);
    const result = this.db.transaction((): RemovalResult => {
      const templates = this.db.prepare('DELETE FROM templates WHERE subject_id = ?').run(subjectId).changes;
      this.db.prepare('DELETE FROM subject_keys WHERE subject_id = ?').run(subjectId);
      const subjects = this.db.prepare('DELETE FROM subjects WHERE id = ?').run(subjectId).changes;
      return { removed: subjects > 0, templates };
    })();

    if (result.removed) {
      this.truncateWal(subjectId);
      this.logger.info({ subject: subjectId, templates: result.templates }, 'subject removed and its key shredded');
    }
    return result;
  }

  /** List enrolled subjects, ordered by id. */
  listSubjects(): SubjectSummary[] {
    this.ensureOpen();
    const rows = this.db
      .prepare(
        `SELECT s.id, s.display_name, s.pseudonym, s.created_at, COUNT(t.id) AS templates
         FROM subjects s LEFT JOIN templates t ON t.subject_id = s.id
         GROUP BY s.id ORDER BY s.id`,
      )
      .all() as Array<{ id: string; display_name: string | null; pseudonym: string; created_at: number; templates: number }>;
    return rows.map((row) => ({
      id: row.id,
      displayName: row.display_name ?? undefined,
      pseudonym: row.pseudonym,
      templates: row.templates,
      createdAt: new Date(row.created_at),
    }));
  }

  /**
   * Decrypt every template (of one model version, if given) for the matcher. A corrupt row is
   * logged and returned in `rejected`; it never stops the rest of the gallery from loading.
   */
  loadTemplates(options: { modelVersion?: string } = {}): LoadResult {
    this.ensureOpen();
    const rows = (
      options.modelVersion === undefined
        ? this.db.prepare('SELECT * FROM templates ORDER BY subject_id, created_at, id').all()
        : this.db.prepare('SELECT * FROM templates WHERE model_version = ? ORDER BY subject_id, created_at, id').all(options.modelVersion)
    ) as TemplateRow[];

    const templates: GalleryTemplate[] = [];
    const rejected: FacegateError[] = [];
    const subjectKeys = new Map<string, Buffer | null>();
    try {
      for (const row of rows) {
        let subjectKey = subjectKeys.get(row.subject_id);
        if (subjectKey === undefined) {
          subjectKey = this.tryUnwrapSubjectKey(row.subject_id, rows, rejected);
          subjectKeys.set(row.subject_id, subjectKey);
        }
        if (subjectKey === null) continue;

        const template = this.tryDecryptRow(row, subjectKey);
        if (template instanceof FacegateError) {
          this.logger.error({ err: template, subject: row.subject_id, template: row.id }, 'gallery row rejected');
          rejected.push(template);
        } else {
          templates.push(template);
        }
      }
    } finally {
      for (const key of subjectKeys.values()) key?.fill(0);
    }

    this.logger.info({ templates: templates.length, rejected: rejected.length, modelVersion: options.modelVersion }, 'gallery templates loaded');
    return { templates, rejected };
  }

  /**
   * Return the pseudonymous id sent on the wire for a subject: HMAC-SHA256 of the id under a key
   * derived from the data key, as 32 hex characters. Works for ids without a face enrolment too
   * (PIN and badge users), because it needs only the id.
   */
  pseudonymFor(subjectId: string): string {
    this.ensureOpen();
    validateSubjectId(subjectId);
    return pseudonymOf(this.keys.pseudonymKey, subjectId);
  }

  /** Close the database (checkpointing the WAL) and wipe the derived keys. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    wipeGalleryKeys(this.keys);
    this.logger.info({ path: this.file }, 'gallery closed');
  }

  private checkDataKey(): void {
    const expected = keyCheckValue(this.keys.checkKey);
    const stored = this.db.prepare("SELECT value FROM gallery_meta WHERE name = 'key_check'").get() as { value: Buffer } | undefined;
    if (stored === undefined) {
      const subjects = (this.db.prepare('SELECT COUNT(*) AS n FROM subjects').get() as { n: number }).n;
      if (subjects > 0) throw this.keyMismatch('its key check value is missing');
      this.db.prepare("INSERT INTO gallery_meta (name, value) VALUES ('key_check', ?)").run(expected);
      return;
    }
    if (stored.value.length !== expected.length || !crypto.timingSafeEqual(stored.value, expected)) {
      throw this.keyMismatch('it was created with a different data key');
    }
  }

  private keyMismatch(reason: string): FacegateError {
    return new FacegateError('GALLERY_DATA_KEY_MISMATCH', `Gallery database ${this.file} cannot be opened with the device data key: ${reason}.`, {
      hint:
        'Restore the keys/data.key file that belongs to this gallery from the device backup. If it is lost, ' +
        `move ${this.file} aside and enrol every subject again.`,
      params: { path: this.file },
    });
  }

  private subjectKey(subjectId: string): Buffer {
    const row = this.db.prepare('SELECT nonce, wrapped_key, tag FROM subject_keys WHERE subject_id = ?').get(subjectId) as KeyRow | undefined;
    if (row === undefined) {
      if (!this.hasSubject(subjectId)) {
        throw new FacegateError('GALLERY_SUBJECT_NOT_FOUND', `Subject '${subjectId}' is not enrolled.`, {
          hint: `Add the subject first (addSubject '${subjectId}'), then store its templates.`,
          params: { subject: subjectId },
        });
      }
      throw subjectKeyCorrupt(subjectId, 'its key row is missing');
    }
    try {
      return unwrapSubjectKey(this.keys.wrapKey, subjectId, keyBox(row));
    } catch (error) {
      throw subjectKeyCorrupt(subjectId, 'its key row failed authenticated decryption', error);
    }
  }

  /** Unwrap a subject key for loading; on failure reject the subject once and return null. */
  private tryUnwrapSubjectKey(subjectId: string, rows: TemplateRow[], rejected: FacegateError[]): Buffer | null {
    try {
      return this.subjectKey(subjectId);
    } catch (error) {
      const templates = rows.filter((row) => row.subject_id === subjectId).length;
      const failure =
        error instanceof FacegateError && error.code === 'GALLERY_SUBJECT_KEY_CORRUPT'
          ? error
          : subjectKeyCorrupt(subjectId, 'its subject row or key row is missing', error);
      failure.params.templates = templates;
      this.logger.error({ err: failure, subject: subjectId, templates }, 'subject key rejected, its templates are skipped');
      rejected.push(failure);
      return null;
    }
  }

  private tryDecryptRow(row: TemplateRow, subjectKey: Buffer): GalleryTemplate | FacegateError {
    const binding = { subjectId: row.subject_id, templateId: row.id, modelVersion: row.model_version };
    let embedding: Float32Array;
    try {
      embedding = decryptTemplate(subjectKey, binding, { nonce: row.nonce, ciphertext: row.ciphertext, tag: row.tag });
    } catch (error) {
      return rowCorrupt(row, 'it failed authenticated decryption, so it was edited, moved from another subject or damaged', error);
    }
    if (embedding.length !== this.dimension) {
      return rowCorrupt(row, `its embedding has ${embedding.length} values, expected ${this.dimension}`);
    }
    return {
      templateId: row.id,
      subjectId: row.subject_id,
      modelVersion: row.model_version,
      quality: row.quality,
      createdAt: new Date(row.created_at),
      embedding,
    };
  }

  private truncateWal(subjectId: string): void {
    const [result] = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (result !== undefined && result.busy !== 0) {
      // Another connection is still reading old pages, so their copies stay in the WAL until a later checkpoint.
      this.logger.warn({ subject: subjectId }, 'WAL checkpoint after removal was blocked by a reader; old pages stay in the WAL until the next checkpoint');
    }
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new FacegateError('GALLERY_CLOSED', `Gallery ${this.file} is closed.`, {
        hint: 'Open the gallery again with Gallery.open before using it.',
        params: { path: this.file },
      });
    }
  }
}

function keyBox(row: KeyRow): SealedBox {
  return { nonce: row.nonce, ciphertext: row.wrapped_key, tag: row.tag };
}

function rowCorrupt(row: TemplateRow, reason: string, cause?: unknown): FacegateError {
  return new FacegateError(
    'GALLERY_ROW_CORRUPT',
    `Gallery row for subject '${row.subject_id}', template '${row.id}' is corrupt: ${reason}.`,
    {
      hint: `Remove subject '${row.subject_id}' and enrol them again; the other subjects are not affected.`,
      params: { subject: row.subject_id, template: row.id },
      cause,
    },
  );
}

function subjectKeyCorrupt(subjectId: string, reason: string, cause?: unknown): FacegateError {
  return new FacegateError(
    'GALLERY_SUBJECT_KEY_CORRUPT',
    `Gallery key for subject '${subjectId}' is corrupt: ${reason}, so none of its templates can be decrypted.`,
    {
      hint: `Remove subject '${subjectId}' and enrol them again; the other subjects are not affected.`,
      params: { subject: subjectId },
      cause,
    },
  );
}

function validateDisplayName(displayName: string | undefined): string | undefined {
  if (displayName === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (displayName.length === 0 || displayName.length > MAX_DISPLAY_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(displayName)) {
    throw new FacegateError(
      'GALLERY_DISPLAY_NAME_INVALID',
      `Display name ${JSON.stringify(displayName)} is invalid; expected 1 to ${MAX_DISPLAY_NAME_LENGTH} characters without control characters.`,
      { hint: 'Shorten the name or leave it out.', params: { displayName } },
    );
  }
  return displayName;
}

function validateModelVersion(modelVersion: string): void {
  if (typeof modelVersion !== 'string' || modelVersion.length === 0 || modelVersion.length > MAX_MODEL_VERSION_LENGTH) {
    throw new FacegateError(
      'GALLERY_MODEL_VERSION_INVALID',
      `Model version ${JSON.stringify(modelVersion)} is invalid; expected 1 to ${MAX_MODEL_VERSION_LENGTH} characters.`,
      { hint: 'Pass the version of the embedding model that produced the embeddings.', params: { modelVersion: String(modelVersion) } },
    );
  }
}

function expandQuality(quality: number | readonly number[], count: number, subjectId: string): number[] {
  const values = typeof quality === 'number' ? new Array<number>(count).fill(quality) : [...quality];
  if (values.length !== count) {
    throw new FacegateError(
      'GALLERY_QUALITY_INVALID',
      `Got ${values.length} quality scores for ${count} embeddings of subject '${subjectId}'.`,
      { hint: 'Pass one quality score, or one per embedding.', params: { subject: subjectId, scores: values.length, embeddings: count } },
    );
  }
  values.forEach((value, index) => {
    if (!Number.isFinite(value)) {
      throw new FacegateError('GALLERY_QUALITY_INVALID', `Quality score ${value} of embedding ${index} of subject '${subjectId}' is not a finite number.`, {
        hint: 'Pass the score the quality gate computed for that capture.',
        params: { subject: subjectId, index },
      });
    }
  });
  return values;
}

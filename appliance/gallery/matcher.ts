import { FacegateError } from '../common/errors.js';
import { QuantisedIndex } from './quantised-index.js';
import { validateEmbedding } from './validate.js';

/** One subject in a search result: its best-scoring template and that cosine similarity. */
export interface SubjectMatch {
  subjectId: string;
  templateId: string;
  /** Cosine similarity in [-1, 1] between the query and the template. */
  score: number;
}

/** Template fields the matcher uses; a `GalleryTemplate` from the store has them all. */
export interface MatcherTemplate {
  subjectId: string;
  templateId: string;
  embedding: Float32Array;
}

export interface MatcherOptions {
  /** Embedding length; 512 by default. */
  dimension?: number;
  /** Rows to allocate up front; the storage doubles when full. */
  initialCapacity?: number;
  /**
   * Search method. `auto` (the default) uses the int8 WebAssembly SIMD pre-scan with exact float32
   * re-scoring when the runtime supports it, else the plain float32 scan. Both return the same
   * subjects and exact scores.
   */
  kernel?: 'auto' | 'wasm-int8' | 'js-float32';
}

const DEFAULT_DIMENSION = 512;
const DEFAULT_CAPACITY = 1024;

/**
 * The in-memory gallery used for 1:N identification. All templates sit L2-normalised in one
 * contiguous Float32Array (row r at offset r * dimension) with a parallel array of subject numbers.
 * The storage doubles when full, and removal moves the last row into the freed slot.
 */
export class Matcher {
  readonly dimension: number;
  /** Search method in use, after resolving `auto`. */
  readonly kernel: 'wasm-int8' | 'js-float32';

  private capacity: number;
  private count = 0;
  private vectors: Float32Array;
  private subjectOfRow: Int32Array;
  private templateIds: string[] = [];
  private readonly index: QuantisedIndex | undefined;

  private readonly subjectNumbers = new Map<string, number>();
  private readonly subjectIds: Array<string | undefined> = [];
  private readonly freeSubjectNumbers: number[] = [];
  private readonly normalisedQuery: Float32Array;

  constructor(options: MatcherOptions = {}) {
    this.dimension = options.dimension ?? DEFAULT_DIMENSION;
    if (!Number.isInteger(this.dimension) || this.dimension < 1) {
      throw new FacegateError('MATCHER_DIMENSION_INVALID', `Matcher dimension ${this.dimension} is invalid; expected a positive integer.`, {
        hint: 'Pass the length of the embeddings the vision model produces, for example 512.',
        params: { dimension: this.dimension },
      });
    }
    this.capacity = Math.max(1, options.initialCapacity ?? DEFAULT_CAPACITY);
    this.vectors = new Float32Array(this.capacity * this.dimension);
    this.subjectOfRow = new Int32Array(this.capacity);
    this.normalisedQuery = new Float32Array(this.dimension);

    const requested = options.kernel ?? 'auto';
    this.index = requested === 'js-float32' ? undefined : QuantisedIndex.create(this.dimension, this.capacity);
    if (requested === 'wasm-int8' && this.index === undefined) {
      throw new FacegateError('MATCHER_SIMD_UNAVAILABLE', 'This JavaScript runtime does not support WebAssembly SIMD, so the wasm-int8 kernel cannot run.', {
        hint: "Use kernel 'auto' or 'js-float32', or run Node.js 20 or newer.",
      });
    }
    this.kernel = this.index === undefined ? 'js-float32' : 'wasm-int8';
  }

  /** Build a matcher holding the given templates. */
  static fromTemplates(templates: Iterable<MatcherTemplate>, options: MatcherOptions = {}): Matcher {
    const matcher = new Matcher(options);
    for (const template of templates) matcher.add(template);
    return matcher;
  }

  /** Number of templates held. */
  get size(): number {
    return this.count;
  }

  /** Number of distinct subjects held. */
  get subjectCount(): number {
    return this.subjectNumbers.size;
  }

  /** Bytes allocated: the float32 rows (at capacity) and the int8 index, if used. */
  get bytes(): { vectors: number; index: number } {
    return { vectors: this.vectors.byteLength, index: this.index?.bytes ?? 0 };
  }

  /**
   * Add one template; the embedding is copied and L2-normalised. Raises EMBEDDING_INVALID on a bad
   * embedding. Template ids are not checked for uniqueness, because the store already makes them unique.
   */
  add(template: MatcherTemplate): void {
    validateEmbedding(template.embedding, this.dimension, `template '${template.templateId}' of subject '${template.subjectId}'`);
    if (this.count === this.capacity) this.grow();

    const row = this.count;
    const base = row * this.dimension;
    normaliseInto(template.embedding, this.vectors, base);
    this.subjectOfRow[row] = this.subjectNumber(template.subjectId);
    this.templateIds[row] = template.templateId;
    this.index?.set(row, this.vectors, base);
    this.count++;
  }

  /** Remove every template of a subject by moving the last row into each freed slot. Returns how many were removed. */
  removeSubject(subjectId: string): number {
    const subject = this.subjectNumbers.get(subjectId);
    if (subject === undefined) return 0;

    let removed = 0;
    let row = 0;
    while (row < this.count) {
      if (this.subjectOfRow[row] !== subject) {
        row++;
        continue;
      }
      // Do not advance: the row moved into this slot must be checked too.
      this.moveLastRowTo(row);
      removed++;
    }

    this.subjectNumbers.delete(subjectId);
    this.subjectIds[subject] = undefined;
    this.freeSubjectNumbers.push(subject);
    return removed;
  }

  /**
   * Return the two best-matching subjects for a query embedding, best first, each scored by its
   * best template. Returns fewer than two entries when fewer subjects are enrolled.
   */
  search(query: Float32Array): SubjectMatch[] {
    validateEmbedding(query, this.dimension, 'query');
    if (this.count === 0) return [];
    normaliseInto(query, this.normalisedQuery, 0);

    const top = new TopTwo();
    if (this.index === undefined) {
      for (let row = 0; row < this.count; row++) top.offer(this.scoreRow(row), this.subjectOfRow[row]!, row);
    } else {
      const candidates = this.index.candidateRows(this.normalisedQuery, this.count, this.subjectOfRow);
      for (let c = 0; c < candidates.length; c++) {
        const row = candidates[c]!;
        top.offer(this.scoreRow(row), this.subjectOfRow[row]!, row);
      }
    }

    const matches: SubjectMatch[] = [];
    if (top.bestRow >= 0) matches.push(this.matchAt(top.bestRow, top.best));
    if (top.secondRow >= 0) matches.push(this.matchAt(top.secondRow, top.second));
    return matches;
  }

  /**
   * Return the best-matching subject other than `excludeSubjectId`, for the duplicate warning at
   * enrolment (is this face already enrolled under another id?). Undefined if there is none.
   */
  nearestOtherSubject(embedding: Float32Array, excludeSubjectId: string): SubjectMatch | undefined {
    // The two results are distinct subjects, so at most one of them is the excluded one.
    const [first, second] = this.search(embedding);
    return first?.subjectId === excludeSubjectId ? second : first;
  }

  private scoreRow(row: number): number {
    return dotProduct(this.vectors, row * this.dimension, this.normalisedQuery, this.dimension);
  }

  private matchAt(row: number, score: number): SubjectMatch {
    return { subjectId: this.subjectIds[this.subjectOfRow[row]!]!, templateId: this.templateIds[row]!, score };
  }

  private subjectNumber(subjectId: string): number {
    let subject = this.subjectNumbers.get(subjectId);
    if (subject === undefined) {
      subject = this.freeSubjectNumbers.pop() ?? this.subjectIds.length;
      this.subjectIds[subject] = subjectId;
      this.subjectNumbers.set(subjectId, subject);
    }
    return subject;
  }

  private moveLastRowTo(row: number): void {
    const last = this.count - 1;
    if (row !== last) {
      this.vectors.copyWithin(row * this.dimension, last * this.dimension, (last + 1) * this.dimension);
      this.subjectOfRow[row] = this.subjectOfRow[last]!;
      this.templateIds[row] = this.templateIds[last]!;
      this.index?.copy(last, row);
    }
    this.templateIds.length = last;
    this.count = last;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const vectors = new Float32Array(capacity * this.dimension);
    vectors.set(this.vectors);
    const subjectOfRow = new Int32Array(capacity);
    subjectOfRow.set(this.subjectOfRow);
    try {
      this.index?.grow(capacity);
    } catch (error) {
      throw new FacegateError('MATCHER_OUT_OF_MEMORY', `The matcher could not grow to ${capacity} templates: ${(error as Error).message}.`, {
        hint: 'Remove unused subjects or templates, or use a device with more memory.',
        params: { capacity },
        cause: error,
      });
    }
    this.vectors = vectors;
    this.subjectOfRow = subjectOfRow;
    this.capacity = capacity;
  }
}

/** Top two distinct subjects by score, updated one row at a time. */
class TopTwo {
  best = -Infinity;
  bestSubject = -1;
  bestRow = -1;
  second = -Infinity;
  secondSubject = -1;
  secondRow = -1;

  offer(score: number, subject: number, row: number): void {
    if (score > this.best) {
      if (subject !== this.bestSubject) {
        this.second = this.best;
        this.secondSubject = this.bestSubject;
        this.secondRow = this.bestRow;
        this.bestSubject = subject;
      }
      this.best = score;
      this.bestRow = row;
    } else if (subject !== this.bestSubject && score > this.second) {
      this.second = score;
      this.secondSubject = subject;
      this.secondRow = row;
    }
  }
}

function normaliseInto(source: Float32Array, target: Float32Array, offset: number): void {
  let sumOfSquares = 0;
  for (let i = 0; i < source.length; i++) sumOfSquares += source[i]! * source[i]!;
  const inverseNorm = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < source.length; i++) target[offset + i] = source[i]! * inverseNorm;
}

/** Dot product of `length` values at `offset` in `rows` with `query`, unrolled by eight, accumulated in float64. */
export function dotProduct(rows: Float32Array, offset: number, query: Float32Array, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let s5 = 0;
  let s6 = 0;
  let s7 = 0;
  const unrolledEnd = length - (length % 8);
  let i = 0;
  for (; i < unrolledEnd; i += 8) {
    const p = offset + i;
    s0 += rows[p]! * query[i]!;
    s1 += rows[p + 1]! * query[i + 1]!;
    s2 += rows[p + 2]! * query[i + 2]!;
    s3 += rows[p + 3]! * query[i + 3]!;
    s4 += rows[p + 4]! * query[i + 4]!;
    s5 += rows[p + 5]! * query[i + 5]!;
    s6 += rows[p + 6]! * query[i + 6]!;
    s7 += rows[p + 7]! * query[i + 7]!;
  }
  for (; i < length; i++) s0 += rows[offset + i]! * query[i]!;
  return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
}

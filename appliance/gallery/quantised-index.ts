import { createInt8DotKernel, createWasmMemory, KERNEL_ROW_BLOCK, type Int8DotKernel, type WasmMemory } from './wasm-dot-kernel.js';

const WASM_PAGE_BYTES = 65_536;
const INT8_MAX = 127;
/** Covers float64 rounding in the bound arithmetic, which is many orders of magnitude smaller. */
const BOUND_SLACK = 1e-7;

/**
 * An int8 copy of the matcher's float32 rows, scanned by a WebAssembly SIMD kernel to find the
 * few rows that can still be the best row of one of the top two subjects.
 *
 * Row r is stored as integers x_i = round(x / s_r) with s_r = max|x| / 127, so x = s_r (x_i + e)
 * with |e| <= 1/2 per component, and likewise for the query with scale s_q. Expanding the product
 * bounds the error of the approximate cosine s_r s_q (x_i . q_i) by
 *   s_r s_q (||x_i||_1 / 2 + ||q_i||_1 / 2 + d / 4),
 * so every row gets an interval that contains its exact float32 cosine.
 *
 * The int8 copy exists for speed. The float32 rows of 100k 512-d templates are 205 MB, so a full
 * float32 scan is bound by memory bandwidth: a float32 WebAssembly SIMD kernel took about 18 ms per
 * search on the 2-core AMD EPYC that ran bench/match.ts. The int8 rows are a quarter of the bytes.
 */
export class QuantisedIndex {
  readonly dimension: number;
  /** Bytes per int8 row: the dimension rounded up to the kernel's block, padded with zeros. */
  readonly stride: number;

  private readonly memory: WasmMemory;
  private readonly kernel: Int8DotKernel;
  private capacity = 0;
  private rows!: Int8Array;
  private queryView!: Int16Array;
  private dotsView!: Int32Array;
  private queryOffset = 0;
  private dotsOffset = 0;
  private scales: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Per row: s_r (||x_i||_1 / 2 + d / 4), the part of the error bound that does not depend on the query. */
  private rowErrorTerms: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Maximum of `scales` and of `rowErrorTerms` over every row ever set; removals leave them high, which keeps them valid bounds. */
  private maxScale = 0;
  private maxRowErrorTerm = 0;
  private candidates = new Int32Array(0);
  private candidateUppers = new Float64Array(0);

  private constructor(dimension: number, memory: WasmMemory, kernel: Int8DotKernel) {
    this.dimension = dimension;
    this.stride = Math.ceil(dimension / KERNEL_ROW_BLOCK) * KERNEL_ROW_BLOCK;
    this.memory = memory;
    this.kernel = kernel;
  }

  /** Create an index, or return undefined when the runtime has no WebAssembly SIMD. */
  static create(dimension: number, capacity: number): QuantisedIndex | undefined {
    const memory = createWasmMemory();
    const kernel = createInt8DotKernel(memory);
    if (kernel === undefined) return undefined;
    const index = new QuantisedIndex(dimension, memory, kernel);
    index.grow(capacity);
    return index;
  }

  /** Bytes held: the WebAssembly memory plus the per-row arrays. */
  get bytes(): number {
    return (
      this.memory.buffer.byteLength +
      this.scales.byteLength +
      this.rowErrorTerms.byteLength +
      this.candidates.byteLength +
      this.candidateUppers.byteLength
    );
  }

  /** Make room for `capacity` rows, keeping the rows already stored. */
  grow(capacity: number): void {
    if (capacity <= this.capacity) return;
    const rowBytes = capacity * this.stride;
    const totalBytes = rowBytes + this.stride * 2 + capacity * 4;
    const pagesNeeded = Math.ceil(totalBytes / WASM_PAGE_BYTES);
    const pagesHeld = this.memory.buffer.byteLength / WASM_PAGE_BYTES;
    if (pagesNeeded > pagesHeld) this.memory.grow(pagesNeeded - pagesHeld);

    // Rows sit at the start of the memory, so growing keeps them in place. The query and the dot
    // products are scratch space rewritten by every search, so they simply move past the rows.
    this.capacity = capacity;
    this.queryOffset = rowBytes;
    this.dotsOffset = rowBytes + this.stride * 2;
    this.rows = new Int8Array(this.memory.buffer, 0, rowBytes);
    this.queryView = new Int16Array(this.memory.buffer, this.queryOffset, this.stride);
    this.dotsView = new Int32Array(this.memory.buffer, this.dotsOffset, capacity);
    this.scales = growFloat64(this.scales, capacity);
    this.rowErrorTerms = growFloat64(this.rowErrorTerms, capacity);
    this.candidates = new Int32Array(capacity);
    this.candidateUppers = new Float64Array(capacity);
  }

  /** Quantise an L2-normalised row into slot `row`. */
  set(row: number, vector: Float32Array, vectorOffset: number): void {
    let maxAbs = 0;
    for (let i = 0; i < this.dimension; i++) maxAbs = Math.max(maxAbs, Math.abs(vector[vectorOffset + i]!));
    const scale = maxAbs / INT8_MAX;
    const base = row * this.stride;
    let l1 = 0;
    for (let i = 0; i < this.dimension; i++) {
      const q = clampInt8(Math.round(vector[vectorOffset + i]! / scale));
      this.rows[base + i] = q;
      l1 += Math.abs(q);
    }
    // Padding must be zero; this slot may hold old scratch bytes after a grow.
    this.rows.fill(0, base + this.dimension, base + this.stride);
    this.scales[row] = scale;
    this.rowErrorTerms[row] = scale * (l1 / 2 + this.dimension / 4);
    this.maxScale = Math.max(this.maxScale, scale);
    this.maxRowErrorTerm = Math.max(this.maxRowErrorTerm, this.rowErrorTerms[row]!);
  }

  /** Copy row `from` over row `to` (used for swap-with-last removal). */
  copy(from: number, to: number): void {
    this.rows.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
    this.scales[to] = this.scales[from]!;
    this.rowErrorTerms[to] = this.rowErrorTerms[from]!;
  }

  /**
   * Return the rows (a view valid until the next call) whose exact cosine with the normalised
   * query may be the best score of one of the top two subjects. `subjectOfRow[r]` is the subject
   * number of row r. A row is dropped only when its upper bound is below the lower bound of
   * another row of its subject, or below the second-best subject's lower bound. Such a row can
   * never be the best row of a top-two subject, so the exact top two over the returned rows
   * equal those over all rows.
   */
  candidateRows(query: Float32Array, count: number, subjectOfRow: Int32Array): Int32Array {
    const { scale: queryScale, halfL1: queryHalfL1 } = this.writeQuery(query);
    this.kernel(0, count, this.stride, this.queryOffset, this.dotsOffset);

    const dots = this.dotsView;
    const scales = this.scales;
    const rowErrorTerms = this.rowErrorTerms;
    const candidates = this.candidates;
    const uppers = this.candidateUppers;
    let best = -Infinity;
    let bestSubject = -1;
    let second = -Infinity;
    let secondSubject = -1;
    let threshold = -Infinity;
    let found = 0;

    // No row's bound exceeds this, so a row whose approximate score plus it stays below the
    // threshold can be skipped without reading its own bound.
    const maxBound = queryScale * (this.maxRowErrorTerm + this.maxScale * queryHalfL1) + BOUND_SLACK;

    for (let r = 0; r < count; r++) {
      const rowScale = scales[r]!;
      const approximate = dots[r]! * rowScale * queryScale;
      // Once two subjects are seen, such a row can neither pass the threshold nor raise the top two.
      if (approximate + maxBound < threshold && secondSubject >= 0) continue;

      const bound = queryScale * (rowErrorTerms[r]! + rowScale * queryHalfL1) + BOUND_SLACK;
      const lower = approximate - bound;
      const subject = subjectOfRow[r]!;

      // Top two distinct subjects by lower bound.
      if (lower > best) {
        if (subject !== bestSubject) {
          second = best;
          secondSubject = bestSubject;
          bestSubject = subject;
        }
        best = lower;
        threshold = secondSubject >= 0 ? second : best;
      } else if (subject !== bestSubject && lower > second) {
        second = lower;
        secondSubject = subject;
        threshold = second;
      }

      const upper = approximate + bound;
      if (upper >= threshold) {
        candidates[found] = r;
        uppers[found] = upper;
        found++;
      }
    }

    // Rows admitted early, while the threshold was still low, are filtered with the final one.
    let remaining = 0;
    for (let c = 0; c < found; c++) {
      if (uppers[c]! >= threshold) candidates[remaining++] = candidates[c]!;
    }
    return candidates.subarray(0, remaining);
  }

  private writeQuery(query: Float32Array): { scale: number; halfL1: number } {
    let maxAbs = 0;
    for (let i = 0; i < this.dimension; i++) maxAbs = Math.max(maxAbs, Math.abs(query[i]!));
    const scale = maxAbs / INT8_MAX;
    let l1 = 0;
    for (let i = 0; i < this.dimension; i++) {
      const q = clampInt8(Math.round(query[i]! / scale));
      this.queryView[i] = q;
      l1 += Math.abs(q);
    }
    this.queryView.fill(0, this.dimension);
    return { scale, halfL1: l1 / 2 };
  }
}

function clampInt8(value: number): number {
  if (value > INT8_MAX) return INT8_MAX;
  if (value < -INT8_MAX) return -INT8_MAX;
  return value;
}

function growFloat64(array: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  const grown = new Float64Array(capacity);
  grown.set(array);
  return grown;
}

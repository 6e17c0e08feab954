/**
 * A WebAssembly SIMD kernel for the coarse matching pass: exact int32 dot products of one int16
 * query against many int8 rows. The module is assembled here from its opcodes, because the
 * project has no WebAssembly toolchain. Its text form is:
 *
 *   (func (export "dots") (param $rows i32) (param $count i32) (param $stride i32) (param $query i32) (param $out i32)
 *     ;; $stride is the row length in bytes and a multiple of 64; $query contains $stride int16 values;
 *     ;; $out receives $count int32 values.
 *     $queryEnd = $query + $stride * 2
 *     $outEnd = $out + $count * 4
 *     (block (br_if 0 (i32.eqz $count))
 *       (loop $row
 *         $acc0..$acc7 = 0
 *         $q = $query
 *         (loop $inner                       ;; 64 int8 row values per iteration
 *           for u in 0..3:
 *             $v = v128.load($rows + 16u)
 *             $acc[2u]   += i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s($v),  v128.load($q + 32u))
 *             $acc[2u+1] += i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s($v), v128.load($q + 32u + 16))
 *           $rows += 64; $q += 128
 *           (br_if $inner (i32.lt_u $q $queryEnd)))
 *         i32.store($out, sum of the lanes of $acc0 + ... + $acc7)
 *         $out += 4
 *         (br_if $row (i32.lt_u $out $outEnd))))
 *
 * Products of int8 and int16 values in [-127, 127] summed over at most 2^17 elements stay far
 * inside int32, so the dot products are exact.
 */

/** Row values consumed per inner-loop iteration; row strides must be a multiple of this. */
export const KERNEL_ROW_BLOCK = 64;

/** The parts of the WebAssembly JavaScript API used here, typed locally because the project's `lib` setting has no WebAssembly types. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}

const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Create an empty WebAssembly memory of one 64 KiB page. */
export function createWasmMemory(): WasmMemory {
  return new wasm.Memory({ initial: 1 });
}

/** Computes `count` dot products into `out`; all arguments are byte offsets into the memory except `count` and `stride`. */
export type Int8DotKernel = (rows: number, count: number, stride: number, query: number, out: number) => void;

const I32 = 0x7f;
const V128 = 0x7b;
const UNROLL = KERNEL_ROW_BLOCK / 16;
const ACCUMULATORS = UNROLL * 2;

// Parameter and local indices.
const P_ROWS = 0;
const P_COUNT = 1;
const P_STRIDE = 2;
const P_QUERY = 3;
const P_OUT = 4;
const L_OUT_END = 5;
const L_Q = 6;
const L_QUERY_END = 7;
const L_ACC = 8;

/** Return the module bytes (exported for tests that check `WebAssembly.validate`). */
export function int8DotModuleBytes(): Uint8Array {
  const body: number[] = [];
  const emit = (...bytes: number[]): void => {
    body.push(...bytes);
  };

  emit(...localGet(P_QUERY), ...localGet(P_STRIDE), ...i32Const(1), OP.i32Shl, OP.i32Add, ...localSet(L_QUERY_END));
  emit(...localGet(P_OUT), ...localGet(P_COUNT), ...i32Const(2), OP.i32Shl, OP.i32Add, ...localSet(L_OUT_END));
  emit(OP.block, OP.emptyBlock, ...localGet(P_COUNT), OP.i32Eqz, OP.brIf, 0);
  emit(OP.loop, OP.emptyBlock);
  for (let a = 0; a < ACCUMULATORS; a++) emit(...v128Zero(), ...localSet(L_ACC + a));
  emit(...localGet(P_QUERY), ...localSet(L_Q));

  emit(OP.loop, OP.emptyBlock);
  for (let u = 0; u < UNROLL; u++) {
    const low = L_ACC + 2 * u;
    const high = low + 1;
    emit(...localGet(low), ...localGet(P_ROWS), ...v128Load(16 * u), ...simd(SIMD.i16x8ExtendLowI8x16S));
    emit(...localGet(L_Q), ...v128Load(32 * u), ...simd(SIMD.i32x4DotI16x8S), ...simd(SIMD.i32x4Add), ...localSet(low));
    emit(...localGet(high), ...localGet(P_ROWS), ...v128Load(16 * u), ...simd(SIMD.i16x8ExtendHighI8x16S));
    emit(...localGet(L_Q), ...v128Load(32 * u + 16), ...simd(SIMD.i32x4DotI16x8S), ...simd(SIMD.i32x4Add), ...localSet(high));
  }
  emit(...localGet(P_ROWS), ...i32Const(KERNEL_ROW_BLOCK), OP.i32Add, ...localSet(P_ROWS));
  emit(...localGet(L_Q), ...i32Const(KERNEL_ROW_BLOCK * 2), OP.i32Add, ...localTee(L_Q));
  emit(...localGet(L_QUERY_END), OP.i32LtU, OP.brIf, 0, OP.end);

  // Pairwise reduction of the accumulators into $acc0, then of its four lanes.
  for (let width = ACCUMULATORS / 2; width >= 1; width /= 2) {
    for (let a = 0; a < width; a++) {
      emit(...localGet(L_ACC + a), ...localGet(L_ACC + a + width), ...simd(SIMD.i32x4Add), ...localSet(L_ACC + a));
    }
  }
  emit(...localGet(P_OUT));
  emit(...localGet(L_ACC), ...simd(SIMD.i32x4ExtractLane, 0), ...localGet(L_ACC), ...simd(SIMD.i32x4ExtractLane, 1), OP.i32Add);
  emit(...localGet(L_ACC), ...simd(SIMD.i32x4ExtractLane, 2), ...localGet(L_ACC), ...simd(SIMD.i32x4ExtractLane, 3), OP.i32Add);
  emit(OP.i32Add, OP.i32Store, 2, 0);

  emit(...localGet(P_OUT), ...i32Const(4), OP.i32Add, ...localTee(P_OUT));
  emit(...localGet(L_OUT_END), OP.i32LtU, OP.brIf, 0);
  emit(OP.end, OP.end, OP.end);

  const locals = vector([
    [...uleb(3), I32],
    [...uleb(ACCUMULATORS), V128],
  ]);
  const code = [...locals, ...body];

  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32]]), 0]])), // type: (i32 x5) -> ()
    ...section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]])), // import memory, min 1 page
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(7, vector([[...name('dots'), 0x00, 0]])), // export function 0 as "dots"
    ...section(10, vector([[...uleb(code.length), ...code]])), // code
  ]);
}

/**
 * Instantiate the kernel over `memory`, or return undefined when this runtime lacks WebAssembly
 * SIMD (the caller then falls back to the float32 scan in JavaScript).
 */
export function createInt8DotKernel(memory: WasmMemory): Int8DotKernel | undefined {
  const bytes = int8DotModuleBytes();
  if (wasm === undefined || !wasm.validate(bytes)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
  return instance.exports.dots as Int8DotKernel;
}

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  emptyBlock: 0x40,
  i32Store: 0x36,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Shl: 0x74,
} as const;

const SIMD = {
  v128Load: 0x00,
  v128Const: 0x0c,
  i32x4ExtractLane: 0x1b,
  i16x8ExtendLowI8x16S: 0x87,
  i16x8ExtendHighI8x16S: 0x88,
  i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba,
} as const;

function simd(opcode: number, ...immediates: number[]): number[] {
  return [0xfd, ...uleb(opcode), ...immediates];
}

function v128Load(offset: number): number[] {
  // Alignment hint 0 (1 byte): the loads are aligned, but the hint only affects speed.
  return simd(SIMD.v128Load, 0, ...uleb(offset));
}

function v128Zero(): number[] {
  return simd(SIMD.v128Const, ...new Array<number>(16).fill(0));
}

function localGet(index: number): number[] {
  return [0x20, ...uleb(index)];
}

function localSet(index: number): number[] {
  return [0x21, ...uleb(index)];
}

function localTee(index: number): number[] {
  return [0x22, ...uleb(index)];
}

function i32Const(value: number): number[] {
  return [0x41, ...sleb(value)];
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

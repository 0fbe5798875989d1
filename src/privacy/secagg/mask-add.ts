/**
 * `acc[offset + j] += sign * stream[j]` modulo 2^32: adding (or removing) one chunk of a mask stream, as a
 * WebAssembly SIMD kernel (i32x4.add / i32x4.sub) with a plain JS loop as the fallback and for tails. The vectors
 * live outside WebAssembly memory, so both are staged through a small fixed buffer in blocks that stay in cache
 * between the copy in, the add and the copy out.
 *
 * There is no wat compiler in the build; the module's bytes are assembled below from the instruction encodings
 * (WebAssembly core spec 5.4 and the SIMD opcode table), as in core/simd-fold.ts. Browser-safe: where WebAssembly
 * SIMD is missing, `addMaskChunk` uses the JS loop, which gives the same values.
 */

import {
  leb,
  section,
  localGet as get,
  localSet as set,
  i32Const as i32,
  simdOp as simd,
  wasmName as name,
} from '../../core/wasm-assembly.js';

const I32X4_ADD = 0xae;
const I32X4_SUB = 0xb1;
/** Bytes per loop iteration: four v128 lanes groups, so `n` must be a multiple of 16 words. */
const STEP = 64;

/**
 * (a, b, end) with a, b, end byte offsets: for a < end, a[.] op= b[.], 64 bytes per iteration.
 * Locals: 0 a, 1 b, 2 end (params).
 */
function kernelBody(op: number): number[] {
  const lanes: number[] = [];
  for (let k = 0; k < STEP; k += 16) {
    // mem[a + k] = mem[a + k] op mem[b + k]
    lanes.push(...get(0), ...get(0), ...simd(0x00, 4, k), ...get(1), ...simd(0x00, 4, k), ...simd(op));
    lanes.push(...simd(0x0b, 4, k));
  }
  const body = [
    0x00, // no locals beyond the params
    ...[0x02, 0x40, 0x03, 0x40], // block { loop {
    ...get(0),
    ...get(2),
    0x4f, // i32.ge_u
    0x0d,
    0x01, // br_if 1 (done)
    ...lanes,
    ...get(0),
    ...i32(STEP),
    0x6a,
    ...set(0),
    ...get(1),
    ...i32(STEP),
    0x6a,
    ...set(1),
    0x0c,
    0x00, // br 0
    ...[0x0b, 0x0b], // } }
    0x0b,
  ];
  return body;
}

const ADD_BODY = kernelBody(I32X4_ADD);
const SUB_BODY = kernelBody(I32X4_SUB);

const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
  ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]), // (i32 i32 i32) -> ()
  ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x00]), // imported memory
  ...section(3, [0x02, 0x00, 0x00]),
  ...section(7, [0x02, ...name('add'), 0x00, 0x00, ...name('sub'), 0x00, 0x01]),
  ...section(10, [0x02, ...leb(ADD_BODY.length), ...ADD_BODY, ...leb(SUB_BODY.length), ...SUB_BODY]),
]);

/** Words per staged block: two blocks of 64 KiB, well inside L2 between the copy in, the add and the copy out. */
const BLOCK_WORDS = 16384;
const PAGE = 65536;

type Kernel = (a: number, b: number, end: number) => void;

interface Staged {
  readonly acc: Uint32Array;
  readonly stream: Uint32Array;
  readonly add: Kernel;
  readonly sub: Kernel;
}

let staged: Staged | null | undefined;

function instance(): Staged | undefined {
  if (staged === undefined) {
    try {
      if (typeof WebAssembly !== 'object' || !WebAssembly.validate(MODULE)) {
        staged = null;
      } else {
        const memory = new WebAssembly.Memory({ initial: (2 * BLOCK_WORDS * 4) / PAGE });
        const exports = new WebAssembly.Instance(new WebAssembly.Module(MODULE), { env: { memory } }).exports;
        staged = {
          acc: new Uint32Array(memory.buffer, 0, BLOCK_WORDS),
          stream: new Uint32Array(memory.buffer, BLOCK_WORDS * 4, BLOCK_WORDS),
          add: exports['add'] as Kernel,
          sub: exports['sub'] as Kernel,
        };
      }
    } catch {
      staged = null;
    }
  }
  return staged ?? undefined;
}

/** True where the WebAssembly SIMD kernel is available (false means the JS loop is used). */
export function simdMaskAddAvailable(): boolean {
  return instance() !== undefined;
}

/** The plain loop: acc[offset + j] += sign * stream[j] modulo 2^32, for j < count. */
export function addMaskChunkJs(
  acc: Uint32Array,
  offset: number,
  stream: Uint32Array,
  sign: 1 | -1,
  from = 0,
  to = stream.length,
): void {
  if (sign === 1) for (let j = from; j < to; j++) acc[offset + j] = acc[offset + j]! + stream[j]!;
  else for (let j = from; j < to; j++) acc[offset + j] = acc[offset + j]! - stream[j]!;
}

/**
 * acc[offset + j] += sign * stream[j] modulo 2^32 for every j < stream.length. `useSimd: false` forces the JS loop
 * (for tests); the results are the same either way.
 */
export function addMaskChunk(
  acc: Uint32Array,
  offset: number,
  stream: Uint32Array,
  sign: 1 | -1,
  useSimd = true,
): void {
  addMaskChunks(acc, offset, [stream], [sign], useSimd);
}

/**
 * Several streams of the same length in one pass: acc[offset + j] += signs[k] * streams[k][j] modulo 2^32. Each
 * block of `acc` is staged in and out once for all the streams, which saves two copies per extra stream.
 */
export function addMaskChunks(
  acc: Uint32Array,
  offset: number,
  streams: readonly Uint32Array[],
  signs: readonly (1 | -1)[],
  useSimd = true,
): void {
  if (streams.length === 0) return;
  const n = streams[0]!.length;
  if (streams.length !== signs.length || streams.some((stream) => stream.length !== n)) {
    throw new RangeError('mask chunks need one sign per stream and streams of one length');
  }
  if (offset < 0 || offset + n > acc.length) throw new RangeError('mask chunk runs past the accumulator');
  const s = useSimd ? instance() : undefined;
  const simdWords = s ? n - (n % (STEP / 4)) : 0;
  if (s) {
    for (let start = 0; start < simdWords; start += BLOCK_WORDS) {
      const count = Math.min(BLOCK_WORDS, simdWords - start);
      const target = acc.subarray(offset + start, offset + start + count);
      s.acc.set(target);
      for (let k = 0; k < streams.length; k++) {
        s.stream.set(streams[k]!.subarray(start, start + count));
        (signs[k] === 1 ? s.add : s.sub)(0, BLOCK_WORDS * 4, count * 4);
      }
      target.set(count === BLOCK_WORDS ? s.acc : s.acc.subarray(0, count));
    }
  }
  for (let k = 0; k < streams.length; k++) addMaskChunkJs(acc, offset, streams[k]!, signs[k]!, simdWords, n);
}

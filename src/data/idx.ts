/**
 * Parser for the IDX format used by MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic
 * number (two zero bytes, a dtype code, the number of dimensions), one big-endian uint32 per dimension, then the
 * values in big-endian row-major order. Pure and browser-safe: it takes bytes, whoever read them. Every
 * inconsistency (bad magic, unknown dtype, truncated or over-long payload) is a DATA_INVALID error naming the
 * source, because IDX files arrive from downloads and package mirrors that can be cut short.
 */
import { FlotillaError } from '../core/index.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly dtype: IdxDtype;
  readonly dims: readonly number[];
  /** The values in row-major order, converted to host byte order. */
  readonly data: IdxValues;
}

const DTYPES: ReadonlyMap<number, { name: IdxDtype; bytes: number }> = new Map([
  [0x08, { name: 'uint8', bytes: 1 }],
  [0x09, { name: 'int8', bytes: 1 }],
  [0x0b, { name: 'int16', bytes: 2 }],
  [0x0c, { name: 'int32', bytes: 4 }],
  [0x0d, { name: 'float32', bytes: 4 }],
  [0x0e, { name: 'float64', bytes: 8 }],
]);

function invalid(source: string, problem: string): FlotillaError {
  return new FlotillaError('DATA_INVALID', `${source}: not a valid IDX file: ${problem}`, { source });
}

/** Parses one IDX buffer. `source` (a path or URL) is only used in error messages. */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw invalid(source, `only ${bytes.length} bytes, the header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hint =
      bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it is gzip-compressed; decompress it first)' : '';
    throw invalid(source, `magic number must start with two zero bytes${hint}`);
  }
  const dtype = DTYPES.get(bytes[2]!);
  if (dtype === undefined) throw invalid(source, `unknown dtype code 0x${bytes[2]!.toString(16)}`);
  const rank = bytes[3]!;
  if (rank === 0) throw invalid(source, 'zero dimensions');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw invalid(
      source,
      `truncated header: ${rank} dimensions need ${headerBytes} bytes, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const expected = count * dtype.bytes;
  const actual = bytes.length - headerBytes;
  if (!Number.isSafeInteger(expected) || actual !== expected) {
    const what = actual < expected ? 'truncated' : 'trailing bytes';
    throw invalid(
      source,
      `${what}: dims [${dims.join(', ')}] of ${dtype.name} need ${expected} data bytes, found ${actual}`,
    );
  }
  return { dtype: dtype.name, dims, data: readValues(view, headerBytes, count, dtype.name) };
}

function readValues(view: DataView, offset: number, count: number, dtype: IdxDtype): IdxValues {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count).slice();
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Writes uint8 values as an IDX buffer (the inverse of parseIdx for uint8): tests and tools that hand a client
 * MNIST-style files, e.g. images [n, 28, 28] (magic 0x0803) or labels [n] (magic 0x0801).
 */
export function encodeIdxUint8(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.length === 0 || dims.length > 255 || count !== data.length) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `IDX dims [${dims.join(', ')}] do not hold the ${data.length} values given`,
    );
  }
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

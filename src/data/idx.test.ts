import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { encodeIdxUint8, parseIdx } from './idx.js';

/** Builds an IDX buffer: magic (0, 0, dtype, rank), big-endian dims, then the given payload bytes. */
function idx(dtype: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, dtype, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...payload]);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parseIdx', () => {
  it('reads uint8 data with its dims', () => {
    const parsed = parseIdx(idx(0x08, [2, 1, 3], [1, 2, 3, 4, 5, 255]));
    expect(parsed.dtype).toBe('uint8');
    expect(parsed.dims).toEqual([2, 1, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 255]);
  });

  it('converts big-endian int16, int32, float32 and float64 values', () => {
    expect(Array.from(parseIdx(idx(0x0b, [2], [0xff, 0xfe, 0x01, 0x00])).data)).toEqual([-2, 256]);
    expect(Array.from(parseIdx(idx(0x0c, [1], [0x00, 0x01, 0x00, 0x02])).data)).toEqual([65538]);
    // 1.5 = 0x3fc00000 as float32; -2 = 0xc000000000000000 as float64
    expect(Array.from(parseIdx(idx(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    expect(Array.from(parseIdx(idx(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0])).data)).toEqual([-2]);
    expect(Array.from(parseIdx(idx(0x09, [2], [0xff, 0x7f])).data)).toEqual([-1, 127]);
  });

  it('reads from a view into a larger buffer', () => {
    const bytes = idx(0x08, [2], [7, 9]);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    expect(Array.from(parseIdx(padded.subarray(3, 3 + bytes.length)).data)).toEqual([7, 9]);
  });

  it.each([
    ['a short buffer', Uint8Array.from([0, 0]), /only 2 bytes/],
    ['a bad magic number', Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), /two zero bytes/],
    ['gzip data', Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), /gzip-compressed/],
    ['an unknown dtype', Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), /unknown dtype code 0xa/],
    ['zero dimensions', Uint8Array.from([0, 0, 8, 0]), /zero dimensions/],
    [
      'a truncated header',
      Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 1]),
      /truncated header: 3 dimensions need 16/,
    ],
    [
      'truncated data',
      idx(0x08, [2, 3], [1, 2, 3, 4, 5]),
      /truncated: dims \[2, 3\] of uint8 need 6 data bytes, found 5/,
    ],
    ['trailing bytes', idx(0x0c, [1], [0, 0, 0, 1, 9]), /trailing bytes: .* need 4 data bytes, found 5/],
  ])('rejects %s with DATA_INVALID naming the source', (_what, bytes, message) => {
    const error = errorOf(() => parseIdx(bytes, 'x/train-images'));
    expect(isFlotillaError(error, 'DATA_INVALID')).toBe(true);
    expect(error.message).toMatch(/^x\/train-images: not a valid IDX file/);
    expect(error.message).toMatch(message);
  });
});

describe('encodeIdxUint8', () => {
  it('writes what parseIdx reads back, and refuses dims that do not hold the values', () => {
    const data = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const parsed = parseIdx(encodeIdxUint8([3, 2], data));
    expect(parsed.dims).toEqual([3, 2]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => encodeIdxUint8([4, 2], data)).toThrow('do not hold the 6 values');
  });
});

import { describe, expect, it } from 'vitest';
import { randomBytes } from './crypto.js';
import { addMaskChunk, addMaskChunks, simdMaskAddAvailable } from './mask-add.js';
import { applyMask, applyMasks, expandMask } from './prg.js';

/** The reference: the plain JS loop, element by element, modulo 2^32. */
function reference(acc: Uint32Array, offset: number, stream: Uint32Array, sign: 1 | -1): Uint32Array {
  const out = acc.slice();
  for (let j = 0; j < stream.length; j++) out[offset + j] = (out[offset + j]! + sign * stream[j]!) >>> 0;
  return out;
}

/** The first index where a and b differ, or -1 (toEqual on long typed arrays is slow). */
function firstDifference(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const randomWords = (n: number) => new Uint32Array(randomBytes(4 * n).buffer);

describe('SIMD mask add', () => {
  it('uses the WebAssembly SIMD kernel on Node 20', () => {
    expect(simdMaskAddAvailable()).toBe(true);
  });

  // Lengths around the kernel's 16-word step and 16,384-word staging block, most not multiples of 4.
  const lengths = [0, 1, 2, 3, 5, 15, 16, 17, 63, 64, 65, 1001, 16383, 16384, 16385, 16384 * 3 + 7, 70001];

  for (const sign of [1, -1] as const) {
    it(`equals the plain loop on random data (sign ${sign}), at offsets, in the SIMD and JS paths`, () => {
      for (const n of lengths) {
        for (const offset of [0, 3]) {
          const acc = randomWords(n + offset + 5);
          const stream = randomWords(n);
          const expected = reference(acc, offset, stream, sign);
          for (const useSimd of [true, false]) {
            const got = acc.slice();
            addMaskChunk(got, offset, stream, sign, useSimd);
            expect(firstDifference(got, expected), `n=${n} offset=${offset} simd=${useSimd}`).toBe(-1);
          }
        }
      }
    });
  }

  it('handles wrap-around at 2^32 both ways', () => {
    const acc = Uint32Array.from({ length: 37 }, (_, i) => (i % 2 === 0 ? 0xffff_ffff : 0));
    const stream = Uint32Array.from({ length: 37 }, (_, i) => (i % 3 === 0 ? 1 : 0xffff_fff0));
    for (const sign of [1, -1] as const) {
      const got = acc.slice();
      addMaskChunk(got, 0, stream, sign);
      expect(got).toEqual(reference(acc, 0, stream, sign));
    }
  });

  it('refuses a chunk that runs past the accumulator', () => {
    expect(() => addMaskChunk(new Uint32Array(10), 5, new Uint32Array(6), 1)).toThrow(RangeError);
  });

  it('applyMask equals the plain loop over the expanded stream, across chunk boundaries', async () => {
    const seed = randomBytes(32);
    const n = (1 << 18) * 3 + 5; // several 1 MiB chunks and a tail not a multiple of 4
    const stream = await expandMask(seed, n);
    const values = randomWords(n);
    for (const sign of [1, -1] as const) {
      const acc = values.slice();
      await applyMask(acc, seed, sign);
      expect(firstDifference(acc, reference(values, 0, stream, sign))).toBe(-1);
    }
  });

  it('adds several streams in one pass exactly as one at a time', () => {
    for (const n of [0, 7, 16, 16385, 40003]) {
      const acc = randomWords(n + 2);
      const streams = [randomWords(n), randomWords(n), randomWords(n)];
      const signs = [1, -1, -1] as const;
      let expected = acc;
      streams.forEach((stream, k) => (expected = reference(expected, 2, stream, signs[k]!)));
      for (const useSimd of [true, false]) {
        const got = acc.slice();
        addMaskChunks(got, 2, streams, signs, useSimd);
        expect(firstDifference(got, expected), `n=${n} simd=${useSimd}`).toBe(-1);
      }
    }
    expect(() =>
      addMaskChunks(new Uint32Array(8), 0, [new Uint32Array(4), new Uint32Array(5)], [1, 1]),
    ).toThrow(RangeError);
  });

  it('applyMasks equals one applyMask per seed (more seeds than one pass takes, both signs)', async () => {
    const n = (1 << 18) + 3;
    const masks = Array.from({ length: 6 }, (_, i) => ({
      seed: randomBytes(32),
      sign: (i % 3 === 0 ? -1 : 1) as 1 | -1,
    }));
    const values = randomWords(n);
    const expected = values.slice();
    for (const { seed, sign } of masks) await applyMask(expected, seed, sign);
    const got = values.slice();
    await applyMasks(got, masks);
    expect(firstDifference(got, expected)).toBe(-1);
    await applyMasks(got, []);
    expect(firstDifference(got, expected)).toBe(-1);
  });
});

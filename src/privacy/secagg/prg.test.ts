import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/index.js';
import { randomBytes } from './crypto.js';
import { addInto, applyMask, expandMask, reduceModulo } from './prg.js';

describe('mask expansion (AES-256-CTR)', () => {
  it('matches AES-256 of the zero block under the zero key (FIPS-197 style known answer)', async () => {
    const words = await expandMask(new Uint8Array(32), 4);
    expect(toHex(new Uint8Array(words.buffer))).toBe('dc95c078a2408989ad48a21492842087');
  });

  it('is deterministic, seed-dependent, and continues the stream across chunks', async () => {
    const seed = randomBytes(32);
    const long = await expandMask(seed, (1 << 20) * 2 + 7); // spans three 4 MiB chunks
    const short = await expandMask(seed, 1000);
    expect(long.subarray(0, 1000)).toEqual(short);
    expect(await expandMask(seed, 1000)).toEqual(short);
    expect(await expandMask(randomBytes(32), 1000)).not.toEqual(short);
    // Chunk 1 uses a fresh counter range, not chunk 0's again.
    expect(long.subarray(1 << 20, (1 << 20) + 4)).not.toEqual(long.subarray(0, 4));
  });

  it('produces bytes that look uniform (chi-square of the byte histogram)', async () => {
    const words = await expandMask(randomBytes(32), 1 << 18);
    const bytes = new Uint8Array(words.buffer);
    const counts = new Array<number>(256).fill(0);
    for (const b of bytes) counts[b]!++;
    const expected = bytes.length / 256;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(330.5); // 255 degrees of freedom, p = 0.001
  });

  it('adds and removes masks modulo 2^32 and reduces modulo smaller powers of two', async () => {
    const values = Uint32Array.from({ length: 5000 }, (_, i) => i * 977);
    const acc = values.slice();
    const seed = randomBytes(32);
    await applyMask(acc, seed, 1);
    expect(acc).not.toEqual(values);
    await applyMask(acc, seed, -1);
    expect(acc).toEqual(values);
    const other = Uint32Array.of(0xffff_ffff, 5);
    addInto(other, Uint32Array.of(2, 0xffff_fffe));
    expect([...other]).toEqual([1, 3]);
    reduceModulo(other.fill(0xdead_beef), 16);
    expect(other[0]).toBe(0xbeef);
  });
});

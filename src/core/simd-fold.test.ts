import { describe, expect, it } from 'vitest';
import { WeightedMeanAccumulator } from './accumulator.js';
import { ParameterSet } from './parameters.js';
import { Rng } from './rng.js';
import { createSimdFolder } from './simd-fold.js';

function randomVector(size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: size }, () => rng.normal());
}

describe('SIMD fold kernel', () => {
  it.each([1, 3, 4, 1023, 1025, 16384 + 7, 100_003])(
    'equals the float64 JS loop bit for bit (%i values)',
    (size) => {
      const folder = createSimdFolder(size)!;
      expect(folder).toBeDefined();
      const reference = new Float64Array(size);
      for (let k = 0; k < 3; k++) {
        const x = randomVector(size, k);
        const w = 0.3 + k;
        for (let i = 0; i < size; i++) reference[i] = reference[i]! + w * x[i]!;
        expect(folder.fold(x, w)).toBe(-1);
      }
      expect(Array.from(folder.sum)).toEqual(Array.from(reference));
    },
  );

  it('refuses NaN and infinities anywhere, naming the first, and leaves the sum as it was', () => {
    const size = 40_000;
    for (const [index, value] of [
      [0, Number.NaN],
      [20_001, Number.POSITIVE_INFINITY],
      [size - 1, Number.NEGATIVE_INFINITY],
    ] as const) {
      const folder = createSimdFolder(size)!;
      folder.fold(randomVector(size, 1), 1);
      const before = folder.sum.slice();
      const bad = randomVector(size, 2);
      bad[index] = value;
      expect(folder.fold(bad, 2)).toBe(index);
      for (let i = 0; i < size; i++) expect(Math.abs(folder.sum[i]! - before[i]!)).toBeLessThan(1e-12);
    }
  });

  it.each([5, 5000])('backs WeightedMeanAccumulator.addFinite (%i values)', (size) => {
    const layout = ParameterSet.fromTensors([
      { name: 'w', shape: [size], values: new Float32Array(size) },
    ]).layout;
    const vector = (...head: number[]) => {
      const v = new Float32Array(size);
      v.set(head);
      return new ParameterSet(layout, v);
    };
    const acc = new WeightedMeanAccumulator(layout);
    expect(acc.addFinite(vector(1, 2, 3, 4, 5), 1)).toBe(-1);
    expect(acc.addFinite(vector(1, 2, Number.NaN, 4, 5), 1)).toBe(2);
    expect(acc.addFinite(vector(3, 2, 1, 0, -1), 3)).toBe(-1);
    expect(acc.count).toBe(2);
    expect(Array.from(acc.mean().data.subarray(0, 5))).toEqual([2.5, 2, 1.5, 1, 0.5]);
    expect(() => acc.add(vector(0, 0, 0, 0, Infinity), 1)).toThrow(/non-finite/);
  });
});

import { describe, expect, it } from 'vitest';
import { WeightedMeanAccumulator } from './accumulator.js';
import { FlotillaError } from './errors.js';
import { add, axpy, clipByNorm, difference, dot, l2Norm, scale, subtract } from './kernels.js';
import { ParameterSet } from './parameters.js';

function set(a: number[], b: number[]): ParameterSet {
  return ParameterSet.fromTensors([
    { name: 'w', shape: [a.length], values: Float32Array.from(a) },
    { name: 'b', shape: [b.length], values: Float32Array.from(b) },
  ]);
}

describe('kernels', () => {
  it('axpy, scale, add, subtract and difference match hand computation', () => {
    const y = set([1, 2], [3]);
    axpy(y, 2, set([10, 20], [30]));
    expect(Array.from(y.data)).toEqual([21, 42, 63]);
    scale(y, 0.5);
    expect(Array.from(y.data)).toEqual([10.5, 21, 31.5]);
    const d = difference(set([5, 5], [5]), set([1, 2], [3]));
    expect(Array.from(d.data)).toEqual([4, 3, 2]);
    const out = set([0, 0], [0]);
    add(out, d, d);
    expect(Array.from(out.data)).toEqual([8, 6, 4]);
    subtract(out, out, d); // aliasing out and a is allowed
    expect(Array.from(out.data)).toEqual([4, 3, 2]);
  });

  it('dot and L2 norm', () => {
    expect(dot(set([1, 2], [3]), set([4, 5], [6]))).toBe(32);
    expect(l2Norm(set([3, 0], [4]))).toBe(5);
  });

  it('clips to the norm bound and reports the factor', () => {
    const x = set([3, 0], [4]);
    expect(clipByNorm(x, 10)).toBe(1);
    expect(Array.from(x.data)).toEqual([3, 0, 4]);
    expect(clipByNorm(x, 1)).toBeCloseTo(0.2, 12);
    expect(l2Norm(x)).toBeCloseTo(1, 6);
    expect(Array.from(x.data).map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0, 0.8]);
    expect(() => clipByNorm(x, 0)).toThrow(RangeError);
  });

  it('refuses sets with different layouts', () => {
    const other = ParameterSet.fromTensors([{ name: 'w', shape: [3], values: new Float32Array(3) }]);
    expect(() => axpy(set([1, 2], [3]), 1, other)).toThrow(FlotillaError);
  });
});

describe('WeightedMeanAccumulator', () => {
  it('streams a weighted mean', () => {
    const acc = new WeightedMeanAccumulator(set([0, 0], [0]).layout);
    acc.add(set([1, 2], [3]), 1);
    acc.add(set([4, 5], [6]), 2);
    expect(acc.count).toBe(2);
    expect(acc.totalWeight).toBe(3);
    expect(Array.from(acc.mean().data)).toEqual([3, 4, 5]);
  });

  it('is accurate for many small contributions (float64 accumulation)', () => {
    const acc = new WeightedMeanAccumulator(set([0], [0]).layout);
    for (let i = 0; i < 100_000; i++) acc.add(set([0.1], [1e-4]), 1);
    const mean = acc.mean().data;
    expect(mean[0]).toBeCloseTo(0.1, 7);
    expect(mean[1]).toBeCloseTo(1e-4, 10);
  });

  it('rejects bad weights and an empty mean', () => {
    const acc = new WeightedMeanAccumulator(set([0], [0]).layout);
    expect(() => acc.add(set([1], [1]), -1)).toThrow(/weight/);
    expect(() => acc.add(set([1], [1]), Number.NaN)).toThrow(/weight/);
    expect(() => acc.mean()).toThrow(/no updates/);
  });
});

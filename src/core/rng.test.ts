import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('keeps its sequence: draws pinned from the implementation with unsigned state words', () => {
    // The state became signed int32 words for speed; every seeded run depends on these values staying put.
    const rng = new Rng(42);
    expect(Array.from({ length: 4 }, () => rng.nextUint32())).toEqual([
      2837322924, 544945897, 479756282, 3500138142,
    ]);
    for (let i = 4; i < 99_999; i++) rng.nextUint32();
    expect(rng.nextUint32()).toBe(98699372);
  });

  it('splits into streams that depend only on the seed and key path', () => {
    const parent = new Rng(7);
    const first = parent.split('client', 3).nextUint32();
    parent.nextUint32(); // consuming the parent does not change its children
    expect(parent.split('client', 3).nextUint32()).toBe(first);
    expect(parent.split('client', 4).nextUint32()).not.toBe(first);
    expect(parent.split('client').split(3).nextUint32()).toBe(first);
  });

  it('draws uniform floats in [0, 1) with the right mean and variance', () => {
    const rng = new Rng(1);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (!(u >= 0 && u < 1)) outside += 1;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    // Uniform(0,1): mean 1/2, variance 1/12; 5-sigma tolerances for n draws.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('nextInt is unbiased over a range that does not divide 2^32', () => {
    const rng = new Rng(3);
    const counts = new Array<number>(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[rng.nextInt(7)]! += 1;
    // Chi-square with 6 degrees of freedom: the 99.9% quantile is 22.46.
    const expected = n / 7;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(22.46);
  });

  it('draws standard normals (mean 0, variance 1)', () => {
    const rng = new Rng(5);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(5 / Math.sqrt(n));
    // Var of the sample variance of N(0,1) is about 2/n.
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('draws gamma variates with mean = shape (also for shape < 1)', () => {
    const rng = new Rng(9);
    for (const shape of [0.1, 1, 4.5]) {
      const n = 50_000;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += rng.gamma(shape);
      // Var(Gamma(k,1)) = k, so the sample mean has sd sqrt(k/n).
      expect(Math.abs(sum / n - shape)).toBeLessThan(5 * Math.sqrt(shape / n));
    }
  });

  it('dirichlet draws sum to one, and small alpha concentrates mass', () => {
    const rng = new Rng(11);
    const spread = rng.dirichlet(100, 10);
    expect(spread.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.max(...spread)).toBeLessThan(0.2);
    let maxSum = 0;
    for (let i = 0; i < 200; i++) maxSum += Math.max(...rng.dirichlet(0.01, 10));
    expect(maxSum / 200).toBeGreaterThan(0.9);
  });

  it('shuffles and samples without repetition', () => {
    const rng = new Rng(13);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle([...items]);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    const picked = rng.sample(items, 10);
    expect(new Set(picked).size).toBe(10);
    expect(() => rng.sample(items, 51)).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { loadMnist } from './mnist.js';

const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function histogram(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const y of labels) counts[y]!++;
  return counts;
}

/** Element-wise equality (vitest's deep equality is slow on million-element typed arrays). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('loadMnist', () => {
  it('splits the 10,000 digits 8,000 / 2,000, stratified by digit', () => {
    const { train, test } = loadMnist({ seed: 1 });
    expect(train.size).toBe(8000);
    expect(test.size).toBe(2000);
    expect(train.featureShape).toEqual([28, 28, 1]);
    expect(train.numClasses).toBe(10);
    const trainCounts = histogram(train.labels);
    const testCounts = histogram(test.labels);
    trainCounts.forEach((n, d) => expect(n + testCounts[d]!).toBe(PACKAGE_COUNTS[d]));
    testCounts.forEach((n, d) => expect(Math.abs(n - PACKAGE_COUNTS[d]! * 0.2)).toBeLessThanOrEqual(1));
    let min = Infinity;
    let max = -Infinity;
    for (const v of train.features) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
  });

  it('is deterministic by seed and shuffles the order', () => {
    const a = loadMnist({ seed: 7, testFraction: 0.1 });
    const b = loadMnist({ seed: 7, testFraction: 0.1 });
    const c = loadMnist({ seed: 8, testFraction: 0.1 });
    expect(a.test.size).toBe(1000);
    expect(same(a.train.labels, b.train.labels)).toBe(true);
    expect(same(a.test.features, b.test.features)).toBe(true);
    expect(same(a.train.labels, c.train.labels)).toBe(false);
    // not grouped by digit: the first 100 training labels cover many digits
    expect(new Set(a.train.labels.subarray(0, 100)).size).toBeGreaterThan(5);
  });
});

import { describe, expect, it } from 'vitest';
import { FlotillaError, Rng } from '../core/index.js';
import {
  attributePartition,
  dirichletPartition,
  iidPartition,
  partition,
  pathologicalPartition,
  sizeSkewPartition,
} from './partition.js';
import { describePartitions } from './partition-stats.js';

/** MNIST-like labels: 10 classes with the package's per-digit counts, in file order (grouped by digit). */
const MNIST_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const MNIST_LABELS = Int32Array.from(MNIST_COUNTS.flatMap((n, d) => new Array<number>(n).fill(d)));

function errorOf(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    return error as FlotillaError;
  }
  throw new Error('expected an error');
}

/** Checks the partition contract: indices in range, sorted, disjoint; returns how many rows were assigned. */
function checkDisjoint(parts: Uint32Array[], n: number): number {
  const seen = new Uint8Array(n);
  let assigned = 0;
  parts.forEach((part, client) => {
    for (let k = 0; k < part.length; k++) {
      const row = part[k]!;
      if (row >= n || (k > 0 && row <= part[k - 1]!) || seen[row] === 1) {
        throw new Error(`client ${client}: row ${row} out of range, out of order or already assigned`);
      }
      seen[row] = 1;
      assigned++;
    }
  });
  return assigned;
}

function labelsOf(labels: Int32Array, part: Uint32Array): number[] {
  return Array.from(part, (i) => labels[i]!);
}

describe('iidPartition', () => {
  it('splits 10 rows over 3 clients as 4, 3, 3 covering every row', () => {
    const labels = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const parts = iidPartition(labels, 3, {}, new Rng(1));
    expect(parts.map((p) => p.length)).toEqual([4, 3, 3]);
    expect(checkDisjoint(parts, 10)).toBe(10);
  });

  it('is deterministic by seed and shuffles', () => {
    const a = iidPartition(MNIST_LABELS, 10, {}, new Rng(3));
    expect(iidPartition(MNIST_LABELS, 10, {}, new Rng(3))).toEqual(a);
    expect(iidPartition(MNIST_LABELS, 10, {}, new Rng(4))).not.toEqual(a);
    expect(describePartitions(MNIST_LABELS, a, 10).summary.maxLabelTv).toBeLessThan(0.05);
  });

  it('rejects more clients than rows and non-integer client counts', () => {
    expect(errorOf(() => iidPartition(Int32Array.from([0, 1]), 3, {}, new Rng(1))).message).toBe(
      'cannot give 3 clients at least 1 rows each from 2 rows',
    );
    expect(errorOf(() => iidPartition(Int32Array.from([0, 1]), 1.5, {}, new Rng(1))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('pathologicalPartition', () => {
  it('gives each client two single-label shards in a hand-checked case', () => {
    const labels = Int32Array.from([2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1]); // 4 rows of each of 3 labels
    const parts = pathologicalPartition(labels, 3, {}, new Rng(5));
    expect(checkDisjoint(parts, 12)).toBe(12);
    // 6 shards of 2 rows (2 per class), 2 shards per client
    expect(parts.map((p) => p.length)).toEqual([4, 4, 4]);
    for (const part of parts) {
      const counts = new Map<number, number>();
      for (const y of labelsOf(labels, part)) counts.set(y, (counts.get(y) ?? 0) + 1);
      expect([...counts.values()].every((c) => c % 2 === 0)).toBe(true);
    }
  });

  it('gives 100 clients at most 2 labels each on MNIST-like labels, covering every row', () => {
    const parts = pathologicalPartition(MNIST_LABELS, 100, { shardsPerClient: 2 }, new Rng(2));
    expect(checkDisjoint(parts, MNIST_LABELS.length)).toBe(MNIST_LABELS.length);
    const stats = describePartitions(MNIST_LABELS, parts, 10);
    expect(Math.max(...stats.clients.map((c) => c.numLabels))).toBeLessThanOrEqual(2);
    expect(stats.summary.minSize).toBeGreaterThanOrEqual(90);
    expect(stats.summary.maxSize).toBeLessThanOrEqual(115);
  });

  it('falls back to cuts of the label-sorted rows when there are fewer shards than labels', () => {
    const parts = pathologicalPartition(MNIST_LABELS, 2, { shardsPerClient: 2 }, new Rng(2));
    expect(checkDisjoint(parts, MNIST_LABELS.length)).toBe(MNIST_LABELS.length);
    // Shards are the label-sorted rows [0, 2500), [2500, 5000)...: labels {0,1,2}, {2,3,4}, {4,5,6,7}, {7,8,9}, so
    // any two shards hold 5 to 7 labels.
    expect(parts.map((p) => p.length)).toEqual([5000, 5000]);
    for (const part of parts) {
      const count = new Set(labelsOf(MNIST_LABELS, part)).size;
      expect(count).toBeGreaterThanOrEqual(5);
      expect(count).toBeLessThanOrEqual(7);
    }
  });

  it('rejects more shards than rows', () => {
    expect(
      errorOf(() => pathologicalPartition(Int32Array.from([0, 1, 2]), 2, {}, new Rng(1))).message,
    ).toMatch(/needs 4 shards \(2 per client x 2 clients\) but there are only 3 rows/);
  });
});

describe('dirichletPartition', () => {
  it('assigns every row, respects the minimum size and is deterministic', () => {
    const parts = dirichletPartition(MNIST_LABELS, 20, { alpha: 0.5, minPartitionSize: 50 }, new Rng(7));
    expect(checkDisjoint(parts, MNIST_LABELS.length)).toBe(MNIST_LABELS.length);
    expect(Math.min(...parts.map((p) => p.length))).toBeGreaterThanOrEqual(50);
    expect(dirichletPartition(MNIST_LABELS, 20, { alpha: 0.5, minPartitionSize: 50 }, new Rng(7))).toEqual(
      parts,
    );
  });

  it('is far more label-skewed at alpha 0.1 than at alpha 100', () => {
    const skew = (alpha: number) =>
      describePartitions(MNIST_LABELS, dirichletPartition(MNIST_LABELS, 10, { alpha }, new Rng(1)), 10)
        .summary;
    const low = skew(0.1);
    const high = skew(100);
    expect(low.meanLabelTv).toBeGreaterThan(0.5);
    expect(high.meanLabelTv).toBeLessThan(0.05);
    expect(low.meanLabelsPerClient).toBeLessThan(high.meanLabelsPerClient);
  });

  it('gives up after maxAttempts with an error naming what to change', () => {
    const labels = Int32Array.from(new Array<number>(100).fill(0));
    const error = errorOf(() =>
      dirichletPartition(labels, 10, { alpha: 0.01, minPartitionSize: 10, maxAttempts: 3 }, new Rng(1)),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(
      /after 3 draws the smallest client still had \d+ rows, below minPartitionSize 10/,
    );
    expect(errorOf(() => dirichletPartition(labels, 11, { alpha: 1 }, new Rng(1))).message).toBe(
      'cannot give 11 clients at least 10 rows each from 100 rows',
    );
    expect(errorOf(() => dirichletPartition(labels, 2, { alpha: 0 }, new Rng(1))).message).toMatch(/alpha/);
  });
});

describe('sizeSkewPartition', () => {
  it('follows the power law above the minimum (hand-computed sizes)', () => {
    // 60 rows above 4 x 10 shared as 1 : 1/2 : 1/3 : 1/4 -> 28.8, 14.4, 9.6, 7.2 -> 29, 14, 10, 7
    const labels = Int32Array.from({ length: 100 }, (_, i) => i % 3);
    const parts = sizeSkewPartition(labels, 4, { exponent: 1, minPartitionSize: 10 }, new Rng(3));
    expect(checkDisjoint(parts, 100)).toBe(100);
    expect(parts.map((p) => p.length).sort((a, b) => b - a)).toEqual([39, 24, 20, 17]);
  });

  it('gives equal sizes at exponent 0', () => {
    const parts = sizeSkewPartition(MNIST_LABELS, 4, { exponent: 0 }, new Rng(3));
    expect(parts.map((p) => p.length)).toEqual([2500, 2500, 2500, 2500]);
  });
});

describe('attributePartition', () => {
  const labels = Int32Array.from([0, 1, 0, 1, 1, 0]);
  const groups = ['a', 'b', 'a', 'c', 'b', 'a'];

  it('gives each group to one client, groups sorted', () => {
    const parts = attributePartition(labels, 3, { groups }, new Rng(1));
    expect(parts.map((p) => Array.from(p))).toEqual([[0, 2, 5], [1, 4], [3]]);
  });

  it('splits a group shared by several clients and leaves unlisted groups out', () => {
    const parts = attributePartition(labels, 3, { groups, clientGroups: ['a', 'b', 'a'] }, new Rng(1));
    expect(checkDisjoint(parts, 6)).toBe(5);
    expect(Array.from(parts[1]!)).toEqual([1, 4]);
    expect([...parts[0]!, ...parts[2]!].sort()).toEqual([0, 2, 5]);
    expect(parts[0]!.length + parts[2]!.length).toBe(3);
  });

  it('rejects a client count that does not match the groups', () => {
    expect(errorOf(() => attributePartition(labels, 2, { groups }, new Rng(1))).message).toBe(
      'attribute partition: 2 clients but 3 groups (a, b, c); pass clientGroups to map groups to clients',
    );
    expect(errorOf(() => attributePartition(labels, 1, { groups: ['x'] }, new Rng(1))).message).toBe(
      'attribute partition: 1 group keys for 6 rows',
    );
  });
});

describe('partition', () => {
  it('dispatches on kind', () => {
    expect(partition(MNIST_LABELS, 5, { kind: 'dirichlet', alpha: 1 }, new Rng(9))).toEqual(
      dirichletPartition(MNIST_LABELS, 5, { alpha: 1 }, new Rng(9)),
    );
    expect(partition(MNIST_LABELS, 5, { kind: 'iid' }, new Rng(9))).toEqual(
      iidPartition(MNIST_LABELS, 5, {}, new Rng(9)),
    );
  });
});

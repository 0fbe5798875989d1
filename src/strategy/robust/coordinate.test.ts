/**
 * Coordinate-wise median and trimmed mean (Yin, Chen, Ramchandran and Bartlett 2018, "Byzantine-Robust
 * Distributed Learning: Towards Optimal Statistical Rates") on hand-computed cases.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError } from '../../core/index.js';
import type { Strategy } from '../strategy.js';
import { CoordinateMedian, TrimmedMean, coordinateMedian, trimmedMean } from './coordinate.js';

const cols = (...rows: number[][]) => rows.map((r) => new Float32Array(r));

/** Aggregates `updates` (client ids a, b, c... in the given order) from a global model of zeros plus `base`. */
function aggregate(strategy: Strategy, updates: number[][], base = 0): number[] {
  const layout = ParameterSet.fromTensors([
    { name: 'w', shape: [updates[0]!.length], values: new Float32Array(updates[0]!.length) },
  ]).layout;
  const global = new ParameterSet(layout, new Float32Array(layout.totalSize).fill(base));
  const aggregator = strategy.beginAggregation({ round: 1, global, rng: new Rng(1) });
  updates.forEach((u, i) =>
    aggregator.add({
      clientId: String.fromCharCode(97 + i),
      numExamples: 1,
      localSteps: 1,
      metrics: {},
      update: new ParameterSet(layout, new Float32Array(u)),
    }),
  );
  return [...aggregator.finish([]).params.data];
}

describe('coordinate-wise median', () => {
  it('takes the middle value per coordinate (odd n) and the mean of the two middle values (even n)', () => {
    expect([...coordinateMedian(cols([1, 10], [3, -1], [2, 4]))]).toEqual([2, 4]);
    expect([...coordinateMedian(cols([1], [4], [2], [10]))]).toEqual([3]);
  });

  it('handles ties, one client and identical updates', () => {
    expect([...coordinateMedian(cols([5], [5], [1]))]).toEqual([5]);
    expect([...coordinateMedian(cols([5], [1], [5], [1]))]).toEqual([3]);
    expect([...coordinateMedian(cols([0.25, -7]))]).toEqual([0.25, -7]);
    expect([...coordinateMedian(cols([2, 3], [2, 3], [2, 3], [2, 3]))]).toEqual([2, 3]);
  });

  it('ignores one arbitrarily large value as a strategy (global + median)', () => {
    expect(aggregate(new CoordinateMedian(), [[1], [2], [1e30]], 10)).toEqual([12]);
  });
});

describe('trimmed mean', () => {
  it('drops floor(beta n) values at each end of every coordinate', () => {
    // n = 4, beta = 0.25: drop 1 each end of [1, 2, 4, 10] -> mean(2, 4) = 3; of [0, 0, 8, -8] -> mean(0, 0) = 0
    expect([...trimmedMean(cols([1, 0], [4, 0], [2, 8], [10, -8]), 0.25)]).toEqual([3, 0]);
    // beta = 0.2: floor(0.8) = 0, nothing dropped: the plain mean 17 / 4
    expect([...trimmedMean(cols([1], [4], [2], [10]), 0.2)]).toEqual([4.25]);
    // beta = 0.5 with n = 3: floor(1.5) = 1 dropped each end, the median remains
    expect([...trimmedMean(cols([1], [4], [10]), 0.5)]).toEqual([4]);
  });

  it('handles ties, one client and identical updates', () => {
    expect([...trimmedMean(cols([7], [7], [7], [1]), 0.25)]).toEqual([7]);
    expect([...trimmedMean(cols([3, -3]), 0.4)]).toEqual([3, -3]);
    expect([...trimmedMean(cols([2], [2], [2]), 1 / 3)]).toEqual([2]);
  });

  it('refuses when nothing would remain', () => {
    expect(() => trimmedMean(cols([1], [2], [3], [4]), 0.5)).toThrow(/leaving none/);
    try {
      aggregate(new TrimmedMean({ beta: 0.5 }), [[1], [2]]);
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'STRATEGY_FAILED')).toBe(true);
    }
  });

  it('as a strategy adds the trimmed mean to the global model', () => {
    expect(aggregate(new TrimmedMean({ beta: 0.25 }), [[1], [4], [2], [10]], 1)).toEqual([4]);
  });
});

/**
 * Bulyan (El Mhamdi, Guerraoui and Rouault 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium")
 * on hand-computed one-dimensional cases.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError } from '../../core/index.js';
import { Bulyan, bulyan, iteratedKrum, meanAroundMedian } from './bulyan.js';

const cols = (...values: number[]) => values.map((v) => new Float32Array([v]));

describe('iterated Krum selection', () => {
  it('selects theta = n - 2f updates, rescoring the remaining ones each time', () => {
    // Values 0, 1, 2, 3, 6, 50, -60 with f = 1 (theta = 5):
    //  7 left, 4 neighbours: scores 50, 31, 22, 23, 86, 8850, 15134 -> 2
    //  6 left, 3 neighbours: 0 -> 1 + 9 + 36 = 46, 1 -> 1 + 4 + 25 = 30, 3 -> 4 + 9 + 9 = 22 -> 3
    //  5 left, 2 neighbours: 0 -> 1 + 36 = 37, 1 -> 1 + 25 = 26, 6 -> 25 + 36 = 61 -> 1
    //  4 left, at least 1 neighbour: 0 -> 36, 6 -> 36 (tie, 0 comes first) -> 0
    //  3 left: 6 -> 44^2 = 1936, 50 -> 1936 (tie, 6 comes first) -> 6
    expect(iteratedKrum(cols(0, 1, 2, 3, 6, 50, -60), 1, 5)).toEqual([2, 3, 1, 0, 4]);
  });
});

describe('mean around the median', () => {
  it('averages the values closest to the median, the lower one on a tie', () => {
    // odd: median 3, then 2 (distance 1) before 10 (7), then 1 (2) -> (3 + 2 + 1) / 3
    expect(meanAroundMedian(Float64Array.from([1, 2, 3, 10, 11]), 3)).toBe(2);
    // even: median 3; 2 and 4 tie at distance 1 (2 first, then 4), then 1 (2) before 10 (7)
    expect(meanAroundMedian(Float64Array.from([1, 2, 4, 10]), 1)).toBe(2);
    expect(meanAroundMedian(Float64Array.from([1, 2, 4, 10]), 2)).toBe(3);
    expect(meanAroundMedian(Float64Array.from([1, 2, 4, 10]), 3)).toBe(7 / 3);
    expect(meanAroundMedian(Float64Array.from([5, 5, 5]), 3)).toBe(5);
  });
});

describe('Bulyan', () => {
  it('averages beta = theta - 2f selected values around the median', () => {
    // Selected (above): 0, 1, 2, 3, 6; median 2; beta = 3: 2, then 1 (tie with 3, lower first), then 3 -> 2
    expect([...bulyan(cols(0, 1, 2, 3, 6, 50, -60), 1)]).toEqual([2]);
    // f = 0: theta = n, beta = n: the plain mean of all updates
    expect([...bulyan(cols(1, 2, 6), 0)]).toEqual([3]);
  });

  it('returns the common value for identical updates', () => {
    expect([...bulyan(cols(4, 4, 4, 4, 4, 4, 4), 1)]).toEqual([4]);
  });

  it('refuses n < 4f + 3, including a single client', () => {
    expect(() => bulyan(cols(0, 1, 2, 3, 4, 5), 1)).toThrow(/4f \+ 3 = 7 updates, got 6/);
    const layout = ParameterSet.fromTensors([{ name: 'w', shape: [1], values: new Float32Array(1) }]).layout;
    const aggregator = new Bulyan({ f: 0 }).beginAggregation({
      round: 1,
      global: new ParameterSet(layout),
      rng: new Rng(1),
    });
    aggregator.add({
      clientId: 'a',
      numExamples: 1,
      localSteps: 1,
      metrics: {},
      update: new ParameterSet(layout),
    });
    try {
      aggregator.finish([]);
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'STRATEGY_FAILED')).toBe(true);
    }
  });
});

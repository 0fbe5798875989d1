/**
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui and Stainer 2017, "Machine Learning with Adversaries:
 * Byzantine Tolerant Gradient Descent") on hand-computed one-dimensional cases, plus the pairwise distances.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError } from '../../core/index.js';
import { pairwiseSquaredDistances } from './distances.js';
import { Krum, krumScores, lowestScores, multiKrumSelect } from './krum.js';

const cols = (...values: number[]) => values.map((v) => new Float32Array([v]));
const layout = ParameterSet.fromTensors([{ name: 'w', shape: [1], values: new Float32Array(1) }]).layout;

/** Runs a round with updates given as [clientId, value] in arrival order, from a global model at 0. */
function run(strategy: Krum, updates: [string, number][]): { value: number; selected: number | undefined } {
  const aggregator = strategy.beginAggregation({
    round: 1,
    global: new ParameterSet(layout),
    rng: new Rng(1),
  });
  for (const [clientId, v] of updates) {
    aggregator.add({
      clientId,
      numExamples: 1,
      localSteps: 1,
      metrics: {},
      update: new ParameterSet(layout, new Float32Array([v])),
    });
  }
  const out = aggregator.finish([]);
  return { value: out.params.data[0]!, selected: out.metrics['selectedUpdates'] };
}

// Values 0, 1, 2, 10, 100 with f = 1: each score sums the n - f - 2 = 2 smallest squared distances:
// 0 -> 1 + 4 = 5, 1 -> 1 + 1 = 2, 2 -> 1 + 4 = 5, 10 -> 64 + 81 = 145, 100 -> 8100 + 9604 = 17704.
const VALUES = [0, 1, 2, 10, 100];
// Arrival order differs from client-id order on purpose: the rule sees updates ordered by client id (a..e).
const ARRIVALS: [string, number][] = [
  ['d', 10],
  ['b', 1],
  ['e', 100],
  ['a', 0],
  ['c', 2],
];

describe('Krum scores', () => {
  it('sum the squared distances to the n - f - 2 nearest others', () => {
    const d = pairwiseSquaredDistances(cols(...VALUES));
    expect(krumScores(d, 5, [0, 1, 2, 3, 4], 2)).toEqual([5, 2, 5, 145, 17704]);
    // Over a subset, only its members count as neighbours.
    expect(krumScores(d, 5, [0, 3, 4], 1)).toEqual([100, 100, 8100]);
  });

  it('break ties by position', () => {
    expect(lowestScores([5, 2, 5, 145], 3)).toEqual([1, 0, 2]);
    expect(lowestScores([3, 3, 3], 2)).toEqual([0, 1]);
  });
});

describe('Krum', () => {
  it('keeps the single update with the lowest score', () => {
    expect(run(new Krum({ f: 1 }), ARRIVALS)).toEqual({ value: 1, selected: 1 });
    expect(multiKrumSelect(cols(...VALUES), 1, 1)).toEqual([1]);
  });

  it('refuses n <= 2f + 2', () => {
    try {
      run(new Krum({ f: 1 }), ARRIVALS.slice(0, 4));
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'STRATEGY_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/needs more than 2f \+ 2 = 4 updates, got 4/);
    }
    // f = 0 needs 3 updates: one client is refused, three are enough. With one neighbour each, the two closest
    // updates (0 and 1) tie at score 1 and client a wins.
    expect(() => run(new Krum({ f: 0 }), [['a', 1]])).toThrow(/got 1/);
    expect(
      run(new Krum({ f: 0 }), [
        ['b', 1],
        ['a', 0],
        ['c', 5],
      ]).value,
    ).toBe(0);
  });

  it('returns the common value for identical updates (first by client id on the tie)', () => {
    expect(
      run(new Krum({ f: 1 }), [
        ['x', 3],
        ['y', 3],
        ['z', 3],
        ['w', 3],
        ['v', 3],
      ]).value,
    ).toBe(3);
  });
});

describe('Multi-Krum', () => {
  it('averages the m best-scored updates, ties going to the earlier client id', () => {
    // m = 2: 1 (score 2), then 0 and 2 tie at 5 and client a (0) wins: mean 0.5
    expect(run(new Krum({ f: 1, m: 2 }, true), ARRIVALS)).toEqual({ value: 0.5, selected: 2 });
    // m = 3: 1, 0, 2 -> mean 1
    expect(run(new Krum({ f: 1, m: 3 }, true), ARRIVALS).value).toBe(1);
    // default m = n - f = 4: 1, 0, 2, 10 -> 13 / 4
    expect(run(new Krum({ f: 1 }, true), ARRIVALS).value).toBe(3.25);
  });

  it('refuses m > n and small rounds', () => {
    expect(() => run(new Krum({ f: 1, m: 6 }, true), ARRIVALS)).toThrow(/m = 6 of only 5/);
    expect(() => run(new Krum({ f: 2, m: 1 }, true), ARRIVALS)).toThrow(/2f \+ 2 = 6/);
  });
});

describe('pairwise squared distances', () => {
  it('match a direct computation across coordinate blocks, with an exact zero for identical vectors', () => {
    const rng = new Rng(7);
    const size = 10_000; // more than two 4096-coordinate blocks
    const vectors = Array.from({ length: 4 }, () => Float32Array.from({ length: size }, () => rng.normal()));
    vectors.push(vectors[0]!.slice());
    const d = pairwiseSquaredDistances(vectors);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        let direct = 0;
        for (let k = 0; k < size; k++) direct += (vectors[i]![k]! - vectors[j]![k]!) ** 2;
        expect(d[i * 5 + j]).toBeCloseTo(direct, 6);
      }
    }
    expect(d[0 * 5 + 4]).toBe(0);
    expect(d[4 * 5 + 0]).toBe(0);
  });
});

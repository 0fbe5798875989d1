/**
 * Centered clipping (Karimireddy, He and Jaggi 2021, "Learning from History for Byzantine Robust Optimization"),
 * momentum-free: v <- v + mean_i clip(x_i - v, tau), starting from the previous round's aggregate.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng } from '../../core/index.js';
import { CenteredClipping, centeredClip } from './centered-clipping.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;

function round(strategy: CenteredClipping, r: number, updates: number[][]): number[] {
  const aggregator = strategy.beginAggregation({
    round: r,
    global: new ParameterSet(layout),
    rng: new Rng(r),
  });
  updates.forEach((u, i) =>
    aggregator.add({
      clientId: `c${i}`,
      numExamples: 1,
      localSteps: 1,
      metrics: {},
      update: new ParameterSet(layout, new Float32Array(u)),
    }),
  );
  return [...aggregator.finish([]).params.data];
}

describe('centered clipping', () => {
  it('clips each difference to tau around the center, one iteration', () => {
    // From v = 0 with tau = 1: (3, 4) has norm 5 -> (0.6, 0.8); (0, 0.5) is kept; v = mean = (0.3, 0.65)
    const { center, clipped } = centeredClip(
      [new Float32Array([3, 4]), new Float32Array([0, 0.5])],
      new Float32Array(2),
      1,
      1,
    );
    expect(center[0]).toBeCloseTo(0.3, 7);
    expect(center[1]).toBeCloseTo(0.65, 7);
    expect(clipped).toBe(1);
  });

  it('iterates from the previous center', () => {
    // Second iteration from (0.3, 0.65): (2.7, 3.35) has norm 4.3026 -> unit vector; (-0.3, -0.15) is kept:
    // v = (0.3, 0.65) + ((2.7, 3.35) / 4.30261 + (-0.3, -0.15)) / 2 = (0.463763, 0.964298)
    const { center } = centeredClip(
      [new Float32Array([3, 4]), new Float32Array([0, 0.5])],
      new Float32Array(2),
      1,
      2,
    );
    expect(center[0]).toBeCloseTo(0.4637626416, 6);
    expect(center[1]).toBeCloseTo(0.9642980924, 6);
  });

  it('starts each round from the previous aggregate (state), which survives save and load', () => {
    const strategy = new CenteredClipping({ tau: 1 });
    const first = round(strategy, 1, [
      [3, 4],
      [0, 0.5],
    ]);
    expect(first[0]).toBeCloseTo(0.3, 6);
    expect(first[1]).toBeCloseTo(0.65, 6);
    const restored = new CenteredClipping({ tau: 1 });
    const saved = strategy.saveState();
    restored.loadState({ json: JSON.parse(JSON.stringify(saved.json)), tensors: saved.tensors });
    // From v = (0.3, 0.65): an update equal to v adds nothing, one 10 further along x is clipped to (1, 0):
    // v = (0.3, 0.65) + (0 + (1, 0)) / 2 = (0.8, 0.65)
    const updates = [
      [first[0]!, first[1]!],
      [first[0]! + 10, first[1]!],
    ];
    const second = round(strategy, 2, updates);
    expect(second[0]).toBeCloseTo(0.8, 6);
    expect(second[1]).toBeCloseTo(0.65, 6);
    expect(round(restored, 2, updates)).toEqual(second);
  });

  it('returns identical updates and a lone short update unchanged, and clips a lone long one', () => {
    expect(
      round(new CenteredClipping({ tau: 10 }), 1, [
        [1, 2],
        [1, 2],
        [1, 2],
      ]),
    ).toEqual([1, 2]);
    expect(round(new CenteredClipping({ tau: 10 }), 1, [[1, 2]])).toEqual([1, 2]);
    const clipped = round(new CenteredClipping({ tau: 1 }), 1, [[6, 8]]);
    expect(clipped[0]).toBeCloseTo(0.6, 6);
    expect(clipped[1]).toBeCloseTo(0.8, 6);
  });
});

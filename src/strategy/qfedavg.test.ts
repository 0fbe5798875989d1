/**
 * q-FedAvg (Li, Sanjabi, Beirami and Smith 2020, "Fair Resource Allocation in Federated Learning") against the
 * paper's formulas with L = 1 / lr, written in the paper's own terms in each comment:
 *   Dw_k = L (w - wbar_k), D_k = F_k^q Dw_k, h_k = q F_k^(q-1) ||Dw_k||^2 + L F_k^q, w <- w - sum D_k / sum h_k.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError, type FitConfig, type MetricValues } from '../core/index.js';
import { INITIAL_LOSS_METRIC, QFedAvg } from './qfedavg.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;
const config = (learningRate: number): FitConfig => ({
  round: 1,
  seed: 0,
  localEpochs: 1,
  batchSize: 8,
  learningRate,
  optimizer: 'sgd',
  momentum: 0,
});

function run(q: number, clients: [string, number[], MetricValues][], learningRate = 0.5): number[] {
  const strategy = new QFedAvg({ q });
  const context = { round: 1, global: new ParameterSet(layout), rng: new Rng(1) };
  strategy.configureFit(
    context,
    clients.map(([clientId]) => ({ clientId, config: config(learningRate) })),
  );
  const aggregator = strategy.beginAggregation(context);
  for (const [clientId, u, metrics] of clients) {
    aggregator.add({
      clientId,
      numExamples: 1,
      localSteps: 1,
      metrics,
      update: new ParameterSet(layout, new Float32Array(u)),
    });
  }
  return [...aggregator.finish([]).params.data];
}

// lr = 0.5 so L = 2. Client a: F = 2, update (1, 0); client b: F = 1, update (0, 2).
const CLIENTS: [string, number[], MetricValues][] = [
  ['a', [1, 0], { [INITIAL_LOSS_METRIC]: 2 }],
  ['b', [0, 2], { [INITIAL_LOSS_METRIC]: 1 }],
];

describe('q-FedAvg', () => {
  it('q = 1', () => {
    // Dw_a = (-2, 0), D_a = 2 (-2, 0) = (-4, 0), h_a = 1 * 1 * 4 + 2 * 2 = 8
    // Dw_b = (0, -4), D_b = (0, -4),          h_b = 1 * 1 * 16 + 2 * 1 = 18
    // w = 0 - (-4, -4) / 26
    const w = run(1, CLIENTS);
    expect(w[0]).toBeCloseTo(4 / 26, 6);
    expect(w[1]).toBeCloseTo(4 / 26, 6);
  });

  it('q = 2 gives the higher-loss client more weight', () => {
    // D_a = 4 (-2, 0) = (-8, 0), h_a = 2 * 2 * 4 + 2 * 4 = 24; D_b = (0, -4), h_b = 2 * 1 * 16 + 2 = 34
    const w = run(2, CLIENTS);
    expect(w[0]).toBeCloseTo(8 / 58, 6);
    expect(w[1]).toBeCloseTo(4 / 58, 6);
  });

  it('q = 0 is the unweighted mean of the updates, whatever the losses', () => {
    // D_k = Dw_k, h_k = L: w = (L (1, 0) + L (0, 2)) / 2L = (0.5, 1)
    expect(run(0, CLIENTS)).toEqual([0.5, 1]);
  });

  it('one client and identical updates', () => {
    // One client, q = 1, F = 1, u = (1, 0): D = (-2, 0), h = 4 + 2 = 6: w = (2/6, 0)
    const one = run(1, [['a', [1, 0], { [INITIAL_LOSS_METRIC]: 1 }]]);
    expect(one[0]).toBeCloseTo(1 / 3, 6);
    expect(one[1]).toBe(0);
    // Two identical clients give the same step as one.
    const two = run(1, [
      ['a', [1, 0], { [INITIAL_LOSS_METRIC]: 1 }],
      ['b', [1, 0], { [INITIAL_LOSS_METRIC]: 1 }],
    ]);
    expect(two).toEqual(one);
  });

  it('takes no step when every loss is zero (q > 0)', () => {
    expect(run(2, [['a', [1, 0], { [INITIAL_LOSS_METRIC]: 0 }]])).toEqual([0, 0]);
  });

  it('rejects a result without the initial loss, naming the client and the metric', () => {
    try {
      run(1, [['a', [1, 0], { loss: 1 }]]);
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'STRATEGY_FAILED')).toBe(true);
      expect((error as Error).message).toMatch(/client "a" must report metrics.initialLoss/);
    }
  });

  it('needs configureFit for the round (it reads the learning rate there)', () => {
    const context = { round: 3, global: new ParameterSet(layout), rng: new Rng(1) };
    expect(() => new QFedAvg().beginAggregation(context)).toThrow(/configureFit was not called for round 3/);
  });
});

/**
 * FedAvgM (Hsu et al. 2019) and FedAdagrad / FedAdam / FedYogi (Reddi et al. 2021, "Adaptive Federated
 * Optimization", Algorithm 2) against their update equations on a one-parameter quadratic: two clients with
 * F_1(w) = (w - 2)^2 / 2 and F_2(w) = (w - 4)^2 / 2, each taking one local SGD step with learning rate 0.5, so
 * client k's update is -0.5 (w - c_k) and the round's mean update is Delta = -0.5 (w - 3).
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError } from '../core/index.js';
import { FedAvgM } from './fedavgm.js';
import { FedOpt } from './fedopt.js';
import type { Strategy } from './strategy.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [1], values: new Float32Array([0]) }]).layout;
const param = (w: number) => new ParameterSet(layout, new Float32Array([w]));

/** Runs one round of the quadratic problem and returns the new w. */
function round(strategy: Strategy, r: number, w: number): number {
  const global = param(w);
  const aggregator = strategy.beginAggregation({ round: r, global, rng: new Rng(r) });
  for (const [clientId, c] of [
    ['a', 2],
    ['b', 4],
  ] as const) {
    aggregator.add({ clientId, numExamples: 10, localSteps: 1, metrics: {}, update: param(-0.5 * (w - c)) });
  }
  return aggregator.finish([]).params.data[0]!;
}

function trajectory(strategy: Strategy, rounds: number, w0 = 0): number[] {
  const out: number[] = [];
  let w = w0;
  for (let r = 1; r <= rounds; r++) out.push((w = round(strategy, r, w)));
  return out;
}

describe('FedAvgM (Hsu et al. 2019)', () => {
  it('follows v <- beta v + Delta, w <- w + lr v', () => {
    // r1: Delta = 1.5, v = 1.5, w = 1.5; r2: Delta = 0.75, v = 0.9*1.5 + 0.75 = 2.1, w = 3.6;
    // r3: Delta = -0.3, v = 0.9*2.1 - 0.3 = 1.59, w = 5.19.
    const w = trajectory(new FedAvgM({ momentum: 0.9, serverLearningRate: 1 }), 3);
    expect(w[0]).toBeCloseTo(1.5, 5);
    expect(w[1]).toBeCloseTo(3.6, 5);
    expect(w[2]).toBeCloseTo(5.19, 5);
  });

  it('is FedAvg with momentum 0 and learning rate 1, and scales the step by the learning rate', () => {
    expect(trajectory(new FedAvgM({ momentum: 0 }), 1)[0]).toBeCloseTo(1.5, 6);
    // lr 0.5: v = 1.5, w = 0.75; then Delta = -0.5 (0.75 - 3) = 1.125, v = 0.5*1.5 + 1.125 = 1.875, w = 1.6875
    const w = trajectory(new FedAvgM({ momentum: 0.5, serverLearningRate: 0.5 }), 2);
    expect(w[0]).toBeCloseTo(0.75, 6);
    expect(w[1]).toBeCloseTo(1.6875, 6);
  });
});

describe('FedOpt (Reddi et al. 2021, Algorithm 2)', () => {
  // eta = 0.1, beta1 = 0.9, beta2 = 0.99, tau = 0.1, v starts at tau^2 = 0.01.
  const options = { serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.1 };

  it('FedAdam: v <- beta2 v + (1 - beta2) Delta^2', () => {
    // r1: Delta = 1.5, m = 0.15, v = 0.99*0.01 + 0.01*2.25 = 0.0324, w = 0.1*0.15 / (0.18 + 0.1) = 0.0535714
    const w = trajectory(new FedOpt('fedadam', options), 3);
    expect(w[0]).toBeCloseTo(0.0535714286, 6);
    // r2: Delta = 1.4732143, m = 0.2823214, v = 0.0537796, w += 0.1 m / (sqrt(v) + 0.1)
    expect(w[1]).toBeCloseTo(0.1386325231, 6);
    expect(w[2]).toBeCloseTo(0.2455400244, 6);
  });

  it('FedAdagrad: v <- v + Delta^2 (beta2 does not apply)', () => {
    const { beta2: _unused, ...adagrad } = options;
    // r1: v = 0.01 + 2.25 = 2.26, w = 0.015 / (sqrt(2.26) + 0.1) = 0.0093555
    const w = trajectory(new FedOpt('fedadagrad', adagrad), 3);
    expect(w[0]).toBeCloseTo(0.0093555309, 6);
    expect(w[1]).toBeCloseTo(0.0221701352, 6);
    expect(w[2]).toBeCloseTo(0.0372196644, 6);
  });

  it('FedYogi: v <- v - (1 - beta2) Delta^2 sign(v - Delta^2)', () => {
    // r1: v - Delta^2 < 0, so v = 0.01 + 0.01*2.25 = 0.0325, w = 0.015 / (sqrt(0.0325) + 0.1) = 0.0535184
    const w = trajectory(new FedOpt('fedyogi', options), 3);
    expect(w[0]).toBeCloseTo(0.0535183758, 6);
    expect(w[1]).toBeCloseTo(0.1383466552, 6);
    expect(w[2]).toBeCloseTo(0.2447504074, 6);
  });

  it('FedYogi shrinks v towards Delta^2 when v is larger', () => {
    // At w = 2.5, Delta = -0.5 (2.5 - 3) = 0.25 and Delta^2 = 0.0625 < initialV = 1:
    // v = 1 - 0.01 * 0.0625 = 0.999375, m = 0.025, w = 2.5 + 0.1 * 0.025 / (sqrt(0.999375) + 0.1)
    const strategy = new FedOpt('fedyogi', { ...options, initialV: 1 });
    const next = round(strategy, 1, 2.5);
    expect(next).toBeCloseTo(2.5 + (0.1 * 0.025) / (Math.sqrt(0.999375) + 0.1), 6);
    expect(strategy.saveState().tensors['v']!.data[0]).toBeCloseTo(0.999375, 7);
  });

  it('weights the mean update by numExamples unless weighted is false', () => {
    const run = (weighted: boolean) => {
      const strategy = new FedOpt('fedadam', { ...options, weighted });
      const global = param(0);
      const aggregator = strategy.beginAggregation({ round: 1, global, rng: new Rng(1) });
      aggregator.add({ clientId: 'a', numExamples: 3, localSteps: 1, metrics: {}, update: param(1) });
      aggregator.add({ clientId: 'b', numExamples: 1, localSteps: 1, metrics: {}, update: param(5) });
      aggregator.finish([]);
      return strategy.saveState().tensors['m']!.data[0]!;
    };
    expect(run(true)).toBeCloseTo(0.1 * 2, 6); // Delta = (3*1 + 5)/4 = 2
    expect(run(false)).toBeCloseTo(0.1 * 3, 6); // Delta = 3
  });
});

describe('server optimizer state', () => {
  const makers: [string, () => Strategy][] = [
    ['fedavgm', () => new FedAvgM()],
    ['fedadagrad', () => new FedOpt('fedadagrad')],
    ['fedadam', () => new FedOpt('fedadam', { tau: 0.01 })],
    ['fedyogi', () => new FedOpt('fedyogi')],
  ];

  for (const [name, make] of makers) {
    it(`${name}: a restored server continues exactly`, () => {
      const original = make();
      let w = 0;
      for (let r = 1; r <= 2; r++) w = round(original, r, w);
      const saved = original.saveState();
      // The JSON part goes through a real serialization, as a checkpoint would.
      const restored = make();
      restored.loadState({ json: JSON.parse(JSON.stringify(saved.json)), tensors: saved.tensors });
      const a = [round(original, 3, w), round(original, 4, w + 1)];
      const b = [round(restored, 3, w), round(restored, 4, w + 1)];
      expect(b).toEqual(a);
      expect((saved.json as { steps: number }).steps).toBe(2);
    });
  }

  it('saved tensors do not alias live state', () => {
    const strategy = new FedAvgM();
    round(strategy, 1, 0);
    const saved = strategy.saveState();
    round(strategy, 2, 1);
    expect(saved.tensors['velocity']!.data[0]).toBeCloseTo(1.5, 6);
  });

  it('a fresh state (no steps, no tensors) loads, and mismatched states are refused', () => {
    const fresh = new FedOpt('fedadam');
    fresh.loadState(new FedOpt('fedadam').saveState());
    expect(round(fresh, 1, 0)).toBeCloseTo(round(new FedOpt('fedadam'), 1, 0), 7);

    const adam = new FedOpt('fedadam');
    round(adam, 1, 0);
    const state = adam.saveState();
    const refuse = (target: Strategy, s: typeof state) => {
      try {
        target.loadState(s);
      } catch (error) {
        return isFlotillaError(error, 'STATE_INVALID') ? error.message : `wrong error ${String(error)}`;
      }
      return 'accepted';
    };
    expect(refuse(new FedOpt('fedyogi'), state)).toMatch(/written by strategy "fedadam"/);
    expect(refuse(new FedOpt('fedadam'), { json: state.json, tensors: { m: state.tensors['m']! } })).toMatch(
      /tensors m, v together/,
    );
    expect(
      refuse(new FedOpt('fedadam'), {
        json: { ...(state.json as object), steps: 0 },
        tensors: state.tensors,
      }),
    ).toMatch(/0 step\(s\) recorded/);
    expect(refuse(new FedOpt('fedadam'), { json: null, tensors: {} })).toMatch(/not an object/);
  });
});

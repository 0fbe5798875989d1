/** FedProx and FedNova on hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError, type FitConfig } from '../core/index.js';
import { FedAvg } from './fedavg.js';
import { FedNova } from './fednova.js';
import { FedProx } from './fedprox.js';
import { createStrategy } from './registry.js';
import type { ClientFitResult, FitAssignment, Strategy } from './strategy.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;
const vec = (...v: number[]) => new ParameterSet(layout, Float32Array.from(v));
const context = (round = 1) => ({ round, global: vec(1, -1), rng: new Rng(7).split('strategy', round, 1) });
const config: FitConfig = {
  round: 1,
  seed: 1,
  localEpochs: 2,
  batchSize: 8,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};
const proposals = (n: number): FitAssignment[] =>
  Array.from({ length: n }, (_, i) => ({ clientId: `client-${i}`, config: { ...config, seed: i } }));
const result = (
  clientId: string,
  numExamples: number,
  localSteps: number,
  update: ParameterSet,
): ClientFitResult => ({
  clientId,
  numExamples,
  localSteps,
  metrics: {},
  update,
});

/** Configures the results' clients (with local `momentum`), then aggregates their results. */
function aggregate(strategy: Strategy, results: ClientFitResult[], momentum = 0): number[] {
  return Array.from(finish(strategy, results, momentum).params.data);
}

function finish(strategy: Strategy, results: ClientFitResult[], momentum = 0) {
  strategy.configureFit(
    context(),
    results.map((r) => ({ clientId: r.clientId, config: { ...config, momentum } })),
  );
  const aggregator = strategy.beginAggregation(context());
  for (const r of results) aggregator.add(r);
  return aggregator.finish([]);
}

describe('FedProx', () => {
  it('asks every client for the proximal term and aggregates like FedAvg', () => {
    const fedprox = createStrategy('fedprox', { mu: 0.5 });
    const configured = fedprox.configureFit(context(), proposals(3));
    expect(configured.map((a) => a.config.proximalMu)).toEqual([0.5, 0.5, 0.5]);
    expect(configured.map((a) => a.config.seed)).toEqual([0, 1, 2]);
    const results = [result('a', 10, 2, vec(1, 2)), result('b', 30, 2, vec(-3, 0))];
    const fedavg = aggregate(new FedAvg(), results);
    aggregate(fedprox, results).forEach((v, i) => expect(v).toBeCloseTo(fedavg[i]!, 6));
    // (1, -1) + (10 (1, 2) + 30 (-3, 0)) / 40 = (1 - 2, -1 + 0.5)
    expect(aggregate(new FedProx({ mu: 0.5 }), results)).toEqual([-1, -0.5]);
  });

  it('validates mu', () => {
    const error = (() => {
      try {
        createStrategy('fedprox', { mu: -1 });
      } catch (e) {
        return e;
      }
    })();
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
  });
});

describe('FedNova (Wang et al. 2020)', () => {
  it('averages updates normalized by local steps and rescales by tau_eff', () => {
    // p = (0.25, 0.75), tau = (2, 6): tau_eff = 0.5 + 4.5 = 5;
    // sum_i p_i u_i / tau_i = 0.25 (4, 8) / 2 + 0.75 (3, -6) / 6 = (0.875, 0.25); step = 5 * that = (4.375, 1.25).
    const results = [result('a', 10, 2, vec(4, 8)), result('b', 30, 6, vec(3, -6))];
    const out = finish(new FedNova(), results);
    expect(Array.from(out.params.data)).toEqual([1 + 4.375, -1 + 1.25]);
    expect(out.metrics['tauEff']).toBe(5);
    // Plain FedAvg favours the client that ran more steps: (1, -1) + (3.25, -2.5).
    expect(aggregate(new FedAvg(), results)).toEqual([4.25, -3.5]);
  });

  it('equals FedAvg when every client takes the same number of steps', () => {
    const results = [result('a', 10, 4, vec(4, 8)), result('b', 30, 4, vec(3, -6))];
    expect(aggregate(new FedNova(), results)).toEqual(aggregate(new FedAvg(), results));
  });

  it('rejects a result without local steps, naming the client', () => {
    const fednova = new FedNova();
    fednova.configureFit(context(), [{ clientId: 'lazy', config }]);
    const aggregator = fednova.beginAggregation(context());
    expect(() => aggregator.add(result('lazy', 10, 0, vec(1, 1)))).toThrow(/"lazy" reported 0 local steps/);
    expect(() => aggregator.add(result('stranger', 10, 2, vec(1, 1)))).toThrow(
      /"stranger" was not configured/,
    );
  });

  it('normalizes heavy-ball momentum steps by ||a_i||_1 (Wang et al. 2020, Section 5)', () => {
    // A constant gradient g_i per client, taken through tau_i real heavy-ball steps (v <- rho v + g, w <- w - lr v),
    // gives u_i = -lr ||a_i||_1 g_i. FedNova must then step by -lr tau_eff sum_i p_i g_i: the weighted mean gradient,
    // whatever each client's tau_i, with tau_eff = sum_i p_i ||a_i||_1.
    const rho = 0.9;
    const lr = 0.1;
    const heavyBall = (g: number[], tau: number) => {
      const w = [0, 0];
      const v = [0, 0];
      for (let k = 0; k < tau; k++) {
        for (let j = 0; j < 2; j++) {
          v[j] = rho * v[j]! + g[j]!;
          w[j] = w[j]! - lr * v[j]!;
        }
      }
      return vec(...w);
    };
    const g = [
      [1, -2],
      [-3, 0.5],
    ];
    const taus = [3, 12];
    const results = [
      result('a', 10, taus[0]!, heavyBall(g[0]!, 3)),
      result('b', 30, 12, heavyBall(g[1]!, 12)),
    ];
    const norms = taus.map((t) => {
      let sum = 0;
      for (let k = 1; k <= t; k++) sum += (1 - rho ** (t - k + 1)) / (1 - rho);
      return sum;
    });
    const tauEff = 0.25 * norms[0]! + 0.75 * norms[1]!;
    const expected = [0, 1].map((j) => [1, -1][j]! - lr * tauEff * (0.25 * g[0]![j]! + 0.75 * g[1]![j]!));
    const out = finish(new FedNova(), results, rho);
    Array.from(out.params.data).forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 4));
    expect(out.metrics['tauEff']).toBeCloseTo(tauEff, 9);
    // Normalizing by tau_i alone (the plain-SGD formula) misses it.
    const plain = finish(new FedNova(), results, 0);
    expect(Math.abs(plain.params.data[0]! - expected[0]!)).toBeGreaterThan(0.5);
  });

  it('draws seeded per-client local epochs from the configured range', () => {
    const fednova = createStrategy('fednova', { minLocalEpochs: 1, maxLocalEpochs: 5 });
    const epochs = fednova.configureFit(context(), proposals(40)).map((a) => a.config.localEpochs);
    expect(epochs.every((e) => Number.isInteger(e) && e >= 1 && e <= 5)).toBe(true);
    expect(new Set(epochs).size).toBe(5);
    const again = fednova.configureFit(context(), proposals(40)).map((a) => a.config.localEpochs);
    expect(again).toEqual(epochs);
    const nextRound = fednova.configureFit(context(2), proposals(40)).map((a) => a.config.localEpochs);
    expect(nextRound).not.toEqual(epochs);
    // Without a range the run's localEpochs stands.
    expect(new FedNova().configureFit(context(), proposals(2)).map((a) => a.config.localEpochs)).toEqual([
      2, 2,
    ]);
  });

  it('refuses half a range or an inverted one', () => {
    expect(() => new FedNova({ minLocalEpochs: 2 })).toThrow(/go together/);
    expect(() => new FedNova({ minLocalEpochs: 3, maxLocalEpochs: 2 })).toThrow(/min <= max/);
  });
});

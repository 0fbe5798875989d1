/**
 * SCAFFOLD end to end against its update equations (Karimireddy et al. 2020, Algorithm 1, option II), through the
 * real engine, codec and client runtime: two clients with quadratic losses f_i(w) = ||w - b_i||^2 / 2 (gradient
 * w - b_i, no noise), K = 3 local SGD steps with lr = 0.1, all clients every round (N = |S| = 2), lr_g = 1. The
 * reference below replays the paper's equations in float64.
 */
import { describe, expect, it } from 'vitest';
import {
  ParameterSet,
  Rng,
  type EvaluateOutput,
  type FitConfig,
  type FitExtras,
  type FitOutput,
  type Trainer,
} from '../core/index.js';
import { RoundEngine } from '../engine/index.js';
import { Scaffold } from '../strategy/index.js';
import { InProcessPool, RuntimeClientHost } from '../transport/index.js';

const B = [
  [1, -2],
  [5, 3],
];
const LR = 0.1;
const K = 3;
const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;

/** Plain SGD on ||w - b||^2 / 2 with the runtime's gradient correction, K steps per fit. */
class QuadraticTrainer implements Trainer {
  readonly features = ['gradient-correction'] as const;
  constructor(private readonly b: readonly number[]) {}

  async fit(params: ParameterSet, config: FitConfig, extras?: FitExtras): Promise<FitOutput> {
    const y = params.clone();
    const correction = extras?.gradientCorrection?.data ?? new Float32Array(2);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < 2; j++)
        y.data[j] = y.data[j]! - config.learningRate * (y.data[j]! - this.b[j]! + correction[j]!);
    }
    return { params: y, numExamples: 10, localSteps: K, metrics: {} };
  }

  async evaluate(): Promise<EvaluateOutput> {
    return { loss: 0, numExamples: 1, metrics: {} };
  }
}

/** The paper's algorithm in float64: returns x after each round. */
function reference(rounds: number): number[][] {
  let x = [0, 0];
  let c = [0, 0];
  const ci = [
    [0, 0],
    [0, 0],
  ];
  const out: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    const dys: number[][] = [];
    const dcs: number[][] = [];
    B.forEach((b, i) => {
      const y = [...x];
      for (let k = 0; k < K; k++)
        for (let j = 0; j < 2; j++) y[j] = y[j]! - LR * (y[j]! - b[j]! - ci[i]![j]! + c[j]!);
      const cPlus = ci[i]!.map((v, j) => v - c[j]! + (x[j]! - y[j]!) / (K * LR));
      dys.push(y.map((v, j) => v - x[j]!));
      dcs.push(cPlus.map((v, j) => v - ci[i]![j]!));
      ci[i] = cPlus;
    });
    x = x.map((v, j) => v + (dys[0]![j]! + dys[1]![j]!) / 2);
    c = c.map((v, j) => v + (dcs[0]![j]! + dcs[1]![j]!) / 2);
    out.push(x);
  }
  return out;
}

describe('SCAFFOLD through engine and client runtime', () => {
  it('follows the update equations round by round and checkpoints c', async () => {
    const host = new RuntimeClientHost(
      B.map((b, i) => ({ descriptor: { id: `c${i}` }, trainer: new QuadraticTrainer(b) })),
    );
    const strategy = new Scaffold();
    const engine = new RoundEngine({
      pool: new InProcessPool(host),
      strategy,
      config: { rounds: 4, learningRate: LR, localEpochs: 1, seed: 1, evaluateEvery: 0 },
    });
    const result = await engine.run({ initialParams: new ParameterSet(layout) });
    expect(result.history).toHaveLength(4);
    reference(4)[3]!.forEach((v, j) => expect(result.params.data[j]).toBeCloseTo(v, 4));
    const saved = strategy.saveState();
    expect(Object.keys(saved.tensors)).toEqual(['control']);
    const restored = new Scaffold();
    restored.loadState(saved);
    expect(Array.from(restored.controlVariate(result.params).data)).toEqual(
      Array.from(saved.tensors['control']!.data),
    );
  });

  it('matches every round of the reference', async () => {
    const expected = reference(3);
    const host = new RuntimeClientHost(
      B.map((b, i) => ({ descriptor: { id: `c${i}` }, trainer: new QuadraticTrainer(b) })),
    );
    const strategy = new Scaffold();
    let x = new ParameterSet(layout);
    for (let r = 1; r <= 3; r++) {
      const engine = new RoundEngine({
        pool: new InProcessPool(host),
        strategy,
        config: { rounds: r, learningRate: LR, localEpochs: 1, seed: 1, evaluateEvery: 0 },
      });
      // Each engine resumes at round r with the strategy's live state; the clients keep their c_i.
      x = (await engine.run({ initialParams: x, startRound: r })).params;
      expected[r - 1]!.forEach((v, j) => expect(x.data[j]).toBeCloseTo(v, 4));
    }
  });

  it('rejects a result without a control variate delta', async () => {
    const strategy = new Scaffold();
    const global = new ParameterSet(layout);
    const aggregator = strategy.beginAggregation({ round: 1, global, rng: new Rng(1) });
    expect(() =>
      aggregator.add({ clientId: 'x', numExamples: 1, localSteps: 1, metrics: {}, update: global.clone() }),
    ).toThrow(/control variate delta/);
  });
});

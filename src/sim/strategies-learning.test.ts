/**
 * Learning behaviour of the issue-4 strategies on small real problems (MNIST subsets, logistic regression), run
 * through the whole simulator: engine, codec, client runtime, TF.js trainer.
 *
 * Non-IID (Dirichlet alpha = 0.1 over 10 clients, 2,000 examples, 2 local epochs, lr 0.05, batch 20), measured
 * server test accuracy per round (seed 3):
 *   round        1     2     3     4     5     6     7     8     9     10
 *   FedAvg     0.381 0.521 0.581 0.611 0.645 0.675 0.702 0.722 0.751 0.761
 *   FedProx.1  0.364 0.515 0.575 0.611 0.643 0.667 0.693 0.713 0.746 0.752
 *   SCAFFOLD   0.330 0.520 0.615 0.685 0.743 0.780 0.810 0.826 0.837 0.840
 * SCAFFOLD reaches 70% in 4-5 rounds against 7 for FedAvg. FedProx (mu = 0.1, and mu = 1 is slower still) does not
 * beat FedAvg here: on a convex model the proximal term only slows the local progress that the drift harms little;
 * the test states that instead of hiding it.
 *
 * Under attack (IID, 2 of 10 clients sign-flipping, 5 rounds): FedAvg falls from 0.758 to 0.676; Krum (f = 2)
 * keeps 0.751 and the coordinate-wise median 0.725.
 */
import { describe, expect, it } from 'vitest';
import type { AttackConfig } from './attacks.js';
import { STRATEGY_NAMES, createStrategy } from '../strategy/index.js';
import { simulate } from './simulate.js';
import type { ScenarioConfig } from './scenario.js';

const base: ScenarioConfig = {
  dataset: 'mnist',
  cohorts: [],
  trainLimit: 2000,
  partition: 'dirichlet',
  alpha: 0.1,
  minPartitionSize: 10,
  shardsPerClient: 2,
  skewExponent: 1.5,
  partitionAttribute: 'cohort',
  clients: 10,
  model: 'logreg',
  seed: 3,
};

async function accuracies(
  strategy: string,
  params: Record<string, unknown>,
  options: { scenario?: Partial<ScenarioConfig>; rounds: number; localEpochs: number; attack?: AttackConfig },
): Promise<number[]> {
  const { result } = await simulate({
    scenario: { ...base, ...options.scenario },
    backend: 'wasm',
    workers: 1,
    strategy: createStrategy(strategy, params),
    engine: {
      rounds: options.rounds,
      localEpochs: options.localEpochs,
      batchSize: 20,
      learningRate: 0.05,
      seed: 3,
      evaluateEvery: 0,
    },
    ...(options.attack ? { attack: options.attack } : {}),
  });
  return result.history.map((r) => r.serverEvaluation!.metrics['accuracy']!);
}

const roundsTo = (target: number, curve: number[]) => curve.findIndex((a) => a >= target) + 1 || Infinity;

describe('strongly non-IID MNIST (Dirichlet 0.1, 10 clients)', () => {
  it('SCAFFOLD reaches 70% in fewer rounds than FedAvg; FedProx does not here', async () => {
    const run = { rounds: 10, localEpochs: 2 };
    const fedavg = await accuracies('fedavg', {}, run);
    const fedprox = await accuracies('fedprox', { mu: 0.1 }, run);
    const scaffold = await accuracies('scaffold', {}, run);
    expect(roundsTo(0.7, fedavg)).toBeGreaterThanOrEqual(6);
    expect(roundsTo(0.7, scaffold)).toBeLessThanOrEqual(roundsTo(0.7, fedavg) - 2);
    expect(scaffold.at(-1)!).toBeGreaterThan(fedavg.at(-1)! + 0.04);
    // The measured result for FedProx: within a couple of points of FedAvg, not ahead of it.
    expect(roundsTo(0.7, fedprox)).toBeGreaterThanOrEqual(roundsTo(0.7, fedavg));
    expect(Math.abs(fedprox.at(-1)! - fedavg.at(-1)!)).toBeLessThan(0.03);
  }, 90_000);
});

describe('robust rules under attack (IID MNIST, 20% sign-flipping clients)', () => {
  it('Krum and the median keep accuracy where FedAvg degrades', async () => {
    const run = { scenario: { partition: 'iid' } as const, rounds: 5, localEpochs: 1 };
    const attack: AttackConfig = { name: 'sign-flip', fraction: 0.2 };
    const clean = (await accuracies('fedavg', {}, run)).at(-1)!;
    const fedavg = (await accuracies('fedavg', {}, { ...run, attack })).at(-1)!;
    const krum = (await accuracies('krum', { f: 2 }, { ...run, attack })).at(-1)!;
    const median = (await accuracies('median', {}, { ...run, attack })).at(-1)!;
    expect(fedavg).toBeLessThan(clean - 0.05);
    expect(krum).toBeGreaterThan(clean - 0.02);
    expect(median).toBeGreaterThan(fedavg + 0.03);
  }, 90_000);
});

/**
 * Every registered strategy at its default parameters (those without a default set to the smallest meaningful
 * value below) on a standard task: 20 clients, Dirichlet(0.5) label skew over 2,000 MNIST digits, logistic
 * regression, every client every round, 1 local epoch of SGD (lr 0.05, batch 20), 8 rounds. Server test accuracy
 * after round 8, measured (seed 3):
 *   fedavg 0.728   fedavgm 0.816    fedprox 0.728   fedadagrad 0.750 (0.425 at the old eta = 0.01)
 *   fedadam 0.750  fedyogi 0.750    scaffold 0.739  fednova 0.725   qfedavg 0.679 (0.463 at the old q = 1)
 *   median 0.591   trimmed-mean 0.671  krum 0.572   multi-krum 0.728  bulyan 0.658  centered-clipping 0.707
 *   fltrust 0.618  norm-bounding 0.728
 */
const NO_DEFAULT: Readonly<Record<string, Record<string, unknown>>> = {
  krum: { f: 1 },
  'multi-krum': { f: 1 },
  bulyan: { f: 1 },
  'centered-clipping': { tau: 1 },
  'norm-bounding': { normBound: 1 },
};

describe('every strategy learns at its defaults (20-client Dirichlet(0.5) MNIST, logistic regression)', () => {
  it.each([...STRATEGY_NAMES])(
    '%s passes 0.5 test accuracy after 8 rounds',
    async (name) => {
      const curve = await accuracies(name, NO_DEFAULT[name] ?? {}, {
        scenario: { alpha: 0.5, clients: 20 },
        rounds: 8,
        localEpochs: 1,
      });
      expect(curve.at(-1)!).toBeGreaterThan(0.5);
    },
    60_000,
  );
});

/**
 * Learning quality and robustness of the issue-4 strategies, through the whole simulator (engine, codec, client
 * runtime, TF.js on wasm). The full protocol (Fashion-MNIST, 2NN MLP, 30 rounds, every strategy and attack)
 * takes hours on the shared 2-core bench machine, so this runs a reduced version of the same task and says so in
 * its output: Fashion-MNIST (Debian's dataset-fashion-mnist) limited to TRAIN_LIMIT training examples, 10 clients,
 * Dirichlet(0.5), all clients every round, 1 local epoch; `rounds` and `model` are in the output.
 * - quality: FedAvg, FedProx, FedAdam, SCAFFOLD and FedNova (local epochs 1-3 per client and round): final and
 *   best test accuracy, rounds to 80% and wall time;
 * - robustness: final accuracy of each robust rule (and FedAvg) with no attack and with 20% attackers per attack.
 */
import { createStrategy } from '../src/strategy/index.js';
import { ATTACK_NAMES, type AttackConfig } from '../src/sim/attacks.js';
import type { ScenarioConfig } from '../src/sim/scenario.js';
import { simulate } from '../src/sim/simulate.js';

export const name = 'learning';

const TRAIN_LIMIT = 10_000;
const scenario: ScenarioConfig = {
  dataset: 'fashion-mnist',
  cohorts: [],
  trainLimit: TRAIN_LIMIT,
  partition: 'dirichlet',
  alpha: 0.5,
  minPartitionSize: 10,
  shardsPerClient: 2,
  skewExponent: 1.5,
  partitionAttribute: 'cohort',
  clients: 10,
  model: 'mlp',
  seed: 1,
};

async function runOnce(
  strategy: string,
  params: Record<string, unknown>,
  rounds: number,
  model: ScenarioConfig['model'],
  attack?: AttackConfig,
) {
  const start = performance.now();
  const { result } = await simulate({
    scenario: { ...scenario, model },
    backend: 'wasm',
    workers: 1,
    strategy: createStrategy(strategy, params),
    engine: { rounds, localEpochs: 1, batchSize: 32, learningRate: 0.05, seed: 1, evaluateEvery: 0 },
    ...(attack ? { attack } : {}),
  });
  const accuracy = result.history.map((r) => r.serverEvaluation!.metrics['accuracy']!);
  const to80 = accuracy.findIndex((a) => a >= 0.8);
  return {
    finalAccuracy: accuracy.at(-1)!,
    bestAccuracy: Math.max(...accuracy),
    roundsTo80: to80 < 0 ? null : to80 + 1,
    wallSeconds: (performance.now() - start) / 1000,
  };
}

export async function run(): Promise<object> {
  const qualityRounds = 20;
  const quality: Record<string, object> = {};
  for (const [label, strategy, params] of [
    ['fedavg', 'fedavg', {}],
    ['fedprox (mu 0.01)', 'fedprox', { mu: 0.01 }],
    ['fedadam', 'fedadam', { serverLearningRate: 0.01 }],
    ['scaffold', 'scaffold', {}],
    ['fednova (1-3 epochs)', 'fednova', { minLocalEpochs: 1, maxLocalEpochs: 3 }],
  ] as const) {
    process.stderr.write(`  quality ${label}\n`);
    quality[label] = await runOnce(strategy, params, qualityRounds, 'mlp');
  }

  const robustRounds = 10;
  const rules: readonly [string, string, Record<string, unknown>][] = [
    ['fedavg', 'fedavg', {}],
    ['median', 'median', {}],
    ['trimmed-mean (beta 0.2)', 'trimmed-mean', { beta: 0.2 }],
    ['krum (f 2)', 'krum', { f: 2 }],
    ['multi-krum (f 2)', 'multi-krum', { f: 2 }],
    ['bulyan (f 1)', 'bulyan', { f: 1 }],
    ['centered-clipping (tau 1)', 'centered-clipping', { tau: 1 }],
    ['fltrust', 'fltrust', {}],
  ];
  const robustness: Record<string, Record<string, number>> = {};
  for (const [label, strategy, params] of rules) {
    process.stderr.write(`  robustness ${label}\n`);
    const row: Record<string, number> = {};
    for (const attack of ['none', ...ATTACK_NAMES] as const) {
      const config = attack === 'none' ? undefined : { name: attack, fraction: 0.2 };
      row[attack] = (await runOnce(strategy, params, robustRounds, 'logreg', config)).finalAccuracy;
    }
    robustness[label] = row;
  }
  return {
    task: { ...scenario, cohorts: undefined, localEpochs: 1, batchSize: 32, learningRate: 0.05 },
    quality: { model: 'mlp', rounds: qualityRounds, results: quality },
    robustness: { model: 'logreg', rounds: robustRounds, attackers: 0.2, finalAccuracy: robustness },
  };
}

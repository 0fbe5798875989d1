/**
 * Turns validated simulate options into the typed configs of the layers below: the scenario (data, partition,
 * model), the engine (rounds, selection, local training) and the strategy. Cross-key checks live here, each error
 * naming the keys involved.
 */
import { FlotillaError, type FitConfig, type OptimizerName } from '../core/index.js';
import {
  checkRunAssumptions,
  resolveEngineConfig,
  selectionSize,
  type EngineConfig,
} from '../engine/index.js';
import type { BackendName, ModelName } from '../ml/index.js';
import { parseCohorts, type DatasetName, type PartitionName, type ScenarioConfig } from '../sim/scenario.js';
import type { AttackConfig } from '../sim/attacks.js';
import { STRATEGY_CATALOG, createStrategy, type Strategy } from '../strategy/index.js';
import { byzantineFromAttackers, resolveAttack } from './attack-options.js';
import type { OptionValues } from './options.js';
import { resolvePrivacy, type ResolvedPrivacy } from './privacy-options.js';
import { availabilityConfig } from './availability-options.js';
import { resolveHomomorphicOptions } from './homomorphic-options.js';
import { resolveSecureAggregationOptions } from './secure-aggregation-options.js';
import { strategyParams } from './strategy-options.js';
import { resolveUpdateBoundOptions } from './update-bounds-options.js';

export interface RunConfig {
  readonly scenario: ScenarioConfig;
  readonly engine: EngineConfig;
  readonly strategy: Strategy;
  readonly backend: BackendName;
  readonly workers: number;
  readonly output: string | undefined;
  readonly saveModel: string | undefined;
  readonly compare: boolean;
  /** Local training settings shared by every client (and by the baselines). */
  readonly fit: FitConfig;
  /** The simulated attack, if any (sim/attacks.ts). */
  readonly attack: AttackConfig | undefined;
  /** Examples in the server's root dataset (FLTrust). */
  readonly rootSize: number;
  /** Differential privacy, when `dp` is not none. */
  readonly privacy: ResolvedPrivacy | undefined;
}

const IMAGE_DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist'];

/**
 * `serverFit`: whether the server of this command trains on root data of its own (the simulator does; a federation's
 * server does not), for the strategies that need it.
 */
export function resolveRunConfig(v: OptionValues, { serverFit = true } = {}): RunConfig {
  const dataset = v.dataset as DatasetName;
  const testFraction =
    (v.testFraction as number | undefined) ?? (IMAGE_DATASETS.includes(dataset) ? 0 : 0.25);
  if (testFraction === 0 && !IMAGE_DATASETS.includes(dataset)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'tabular datasets need "testFraction" > 0: they have no test split',
      {
        key: 'testFraction',
      },
    );
  }
  const evaluateEvery = (v.evaluateEvery as number | undefined) ?? (testFraction > 0 ? 1 : 0);
  if (evaluateEvery > 0 && testFraction === 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"evaluateEvery" needs "testFraction" > 0 so that clients hold out data to evaluate on',
      { key: 'evaluateEvery' },
    );
  }
  const localEpochs = v.localEpochs as number;
  if (!Number.isInteger(localEpochs)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"localEpochs" must be a whole number of epochs, got ${localEpochs}`,
      {
        key: 'localEpochs',
      },
    );
  }
  const scenario: ScenarioConfig = {
    dataset,
    ...(v.dataPath ? { dataPath: v.dataPath as string } : {}),
    ...(v.schema ? { schemaPath: v.schema as string } : {}),
    cohorts: parseCohorts(v.cohorts as string),
    ...(v.trainLimit ? { trainLimit: v.trainLimit as number } : {}),
    testFraction,
    partition: v.partition as PartitionName,
    alpha: v.alpha as number,
    minPartitionSize: v.minPartitionSize as number,
    shardsPerClient: v.shardsPerClient as number,
    skewExponent: v.skewExponent as number,
    partitionAttribute: v.partitionAttribute as string,
    clients: v.clients as number,
    model: v.model as ModelName,
    seed: v.seed as number,
  };
  const fit: FitConfig = {
    round: 0,
    seed: scenario.seed,
    localEpochs,
    batchSize: v.batchSize as number,
    learningRate: v.learningRate as number,
    optimizer: v.optimizer as OptimizerName,
    momentum: v.momentum as number,
  };
  const engine: EngineConfig = {
    rounds: v.rounds as number,
    fractionFit: v.fraction as number,
    minFitClients: v.minFitClients as number,
    minResults: { fraction: v.minResults as number },
    fitDeadlineMs: (v.deadline as number) * 1000,
    ...availabilityConfig(v),
    evaluateEvery,
    localEpochs,
    batchSize: fit.batchSize,
    learningRate: fit.learningRate,
    optimizer: fit.optimizer,
    momentum: fit.momentum,
    seed: scenario.seed,
    ...resolveUpdateBoundOptions(v),
  };
  const privacy = resolvePrivacy(v, engine.rounds, v.fraction as number);
  const secureAggregation = resolveSecureAggregationOptions(v);
  const homomorphicAggregation = resolveHomomorphicOptions(v);
  const { name, params } = strategyParams(v);
  const attack = resolveAttack(v);
  const f = byzantineFromAttackers(v, attack);
  if (f !== undefined) {
    if (!STRATEGY_CATALOG.find((s) => s.name === name)?.params.some((p) => p.name === 'f')) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `"byzantineFromAttackers" does not apply to strategy "${name}"`,
        {
          key: 'byzantineFromAttackers',
        },
      );
    }
    params['f'] = f;
  }
  const fullEngine: EngineConfig = {
    ...engine,
    clientSampling: v.clientSampling as 'fixed-size' | 'poisson',
    ...(secureAggregation ? { secureAggregation } : {}),
    ...(homomorphicAggregation ? { homomorphicAggregation } : {}),
  };
  const strategy = createStrategy(name, params);
  // The engine checks the same again when it starts; checking here refuses before any data is loaded.
  const resolved = resolveEngineConfig(fullEngine);
  checkRunAssumptions({
    strategy,
    config: resolved,
    privacy: privacy?.policy,
    serverFit,
    // Every client of the run is available at most, so a fixed-size round selects at most this many.
    maxSelection:
      resolved.clientSampling === 'fixed-size' ? selectionSize(resolved, scenario.clients) : undefined,
  });
  return {
    scenario,
    engine: fullEngine,
    privacy,
    strategy,
    backend: v.backend as BackendName,
    workers: v.workers as number,
    output: v.output as string | undefined,
    saveModel: v.saveModel as string | undefined,
    compare: v.compare as boolean,
    fit,
    attack,
    rootSize: v.rootSize as number,
  };
}

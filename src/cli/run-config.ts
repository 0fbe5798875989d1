/**
 * Turns validated run settings into the typed configs of the layers below: the scenario (data, partition, model),
 * the engine (rounds, selection, local training) and the strategy. `runEngineConfig` is shared with the server, so a
 * setting means the same in a simulation and a deployment. Cross-key checks live here, each error naming the keys.
 */
import { FlotillaError, type FitConfig } from '../core/index.js';
import {
  checkRunAssumptions,
  resolveEngineConfig,
  selectionSize,
  type EngineConfig,
  type MinResults,
} from '../engine/index.js';
import type { BackendName, ModelName } from '../ml/index.js';
import { parseCohorts, type DatasetName, type ScenarioConfig } from '../sim/scenario.js';
import type { AttackConfig } from '../sim/attacks.js';
import { STRATEGY_CATALOG, createStrategy, type Strategy } from '../strategy/index.js';
import type { AlertsConfig } from '../telemetry/index.js';
import { resolveAlerts } from './alert-options.js';
import { byzantineFromAttackers, resolveAttack } from './attack-options.js';
import { resolvePrivacy, type ResolvedPrivacy } from './privacy-options.js';
import { availabilityConfig } from './availability-options.js';
import { resolveHomomorphicOptions } from './homomorphic-options.js';
import { resolveSecureAggregationOptions } from './secure-aggregation-options.js';
import type { RunSettings } from './settings/run-settings.js';
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
  /** Anomaly rules and webhooks, unless `alerts: false`. */
  readonly alerts: AlertsConfig | undefined;
}

const IMAGE_DATASETS: readonly DatasetName[] = ['mnist', 'fashion-mnist'];

/** The dataset of a simulation: mnist when none is named. */
export const datasetOf = (v: Pick<RunSettings, 'dataset'>): DatasetName => v.dataset ?? 'mnist';

/** The model when none is named: the 2NN for images, the tabular MLP for tabular data (or a dataset-less server). */
export function modelOf(v: Pick<RunSettings, 'model'>, dataset: DatasetName | undefined): ModelName {
  return v.model ?? (dataset && IMAGE_DATASETS.includes(dataset) ? 'mlp' : 'tabular-mlp');
}

/** Image datasets have an official test split (0); tabular clients hold out a quarter of their rows. */
export function testFractionOf(v: Pick<RunSettings, 'testFraction'>, dataset: DatasetName): number {
  return v.testFraction ?? (IMAGE_DATASETS.includes(dataset) ? 0 : 0.25);
}

/** minResults as the engine takes it: up to 1 a fraction of the selected clients, above 1 a count. */
export function minResultsOf(value: number | undefined): MinResults {
  if (value === undefined || value <= 1) return { fraction: value ?? 1 };
  return { count: value };
}

/** The engine settings every run shares, in the engine's units; selection and minResults are the caller's. */
export function runEngineConfig(v: RunSettings, evaluateEvery: number): EngineConfig {
  const secureAggregation = resolveSecureAggregationOptions(v.secureAggregation);
  const homomorphicAggregation = resolveHomomorphicOptions(v.homomorphicAggregation);
  return {
    rounds: v.rounds,
    fractionFit: v.fraction,
    minFitClients: v.minFitClients,
    minResults: minResultsOf(v.minResults),
    maxRetries: v.maxRetries,
    fitDeadlineMs: v.deadline * 1000,
    evaluateEvery,
    localEpochs: v.localEpochs,
    batchSize: v.batchSize,
    learningRate: v.learningRate,
    optimizer: v.optimizer,
    momentum: v.momentum,
    seed: v.seed,
    clientSampling: v.clientSampling,
    ...availabilityConfig(v),
    ...resolveUpdateBoundOptions(v),
    ...(secureAggregation ? { secureAggregation } : {}),
    ...(homomorphicAggregation ? { homomorphicAggregation } : {}),
  };
}

/**
 * `serverFit`: whether the server of this command trains on root data of its own (the simulator does; a federation's
 * server does not), for the strategies that need it.
 */
export function resolveRunConfig(v: RunSettings, { serverFit = true } = {}): RunConfig {
  const dataset = datasetOf(v);
  const testFraction = testFractionOf(v, dataset);
  if (testFraction === 0 && !IMAGE_DATASETS.includes(dataset)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'tabular datasets need "testFraction" > 0: they have no test split',
      {
        key: 'testFraction',
      },
    );
  }
  const evaluateEvery = v.evaluateEvery ?? (testFraction > 0 ? 1 : 0);
  if (evaluateEvery > 0 && testFraction === 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"evaluateEvery" needs "testFraction" > 0 so that clients hold out data to evaluate on',
      { key: 'evaluateEvery' },
    );
  }
  const scenario: ScenarioConfig = {
    dataset,
    ...(v.dataPath ? { dataPath: v.dataPath } : {}),
    ...(v.schema ? { schemaPath: v.schema } : {}),
    cohorts: parseCohorts(v.cohorts),
    ...(v.trainLimit ? { trainLimit: v.trainLimit } : {}),
    testFraction,
    partition: v.partition,
    alpha: v.alpha,
    minPartitionSize: v.minPartitionSize,
    shardsPerClient: v.shardsPerClient,
    skewExponent: v.skewExponent,
    partitionAttribute: v.partitionAttribute,
    clients: v.clients,
    model: modelOf(v, dataset),
    seed: v.seed,
  };
  const fit: FitConfig = {
    round: 0,
    seed: v.seed,
    localEpochs: v.localEpochs,
    batchSize: v.batchSize,
    learningRate: v.learningRate,
    optimizer: v.optimizer,
    momentum: v.momentum,
  };
  const engine = runEngineConfig(v, evaluateEvery);
  const privacy = resolvePrivacy(v, v.rounds, v.fraction);
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
  const strategy = createStrategy(name, params);
  // The engine checks the same again when it starts; checking here refuses before any data is loaded.
  const resolved = resolveEngineConfig(engine);
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
    engine,
    privacy,
    strategy,
    backend: v.backend,
    workers: v.workers,
    output: v.output,
    saveModel: v.saveModel,
    compare: v.compare,
    fit,
    attack,
    rootSize: v.rootSize,
    alerts: resolveAlerts(v.alerts),
  };
}

/**
 * Runs a scenario end to end in simulation: builds the data (once per thread), the initial model from the seed and
 * the server-side evaluator, then hands the generic runner a host module so that clients live in this thread or in
 * worker threads. The engine, codec and client runtime are the ones a deployment uses.
 */
import { Rng, featureSize, type Dataset, type ParameterSet } from '../core/index.js';
import type { EngineConfig, EngineEmitter, PrivacyPolicy, RunResult } from '../engine/index.js';
import { SharedModel, TfjsTrainer, initBackend, type BackendName } from '../ml/index.js';
import { he, secagg } from '../privacy/index.js';
import type { Strategy } from '../strategy/index.js';
import { resolveEngineConfig, type ClientPool } from '../engine/index.js';
import { AttackPool, chooseAttackers, type AttackConfig } from './attacks.js';
import { runSimulation } from './runner.js';
import { prepareScenarioOnce, type ScenarioHostInit } from './scenario-host.js';
import { pooledTrainingLabels, type PreparedScenario, type ScenarioConfig } from './scenario.js';

export interface SimulateSpec {
  readonly scenario: ScenarioConfig;
  readonly backend: BackendName;
  readonly workers: number;
  readonly engine: EngineConfig;
  readonly strategy: Strategy;
  readonly signal?: AbortSignal;
  readonly subscribe?: (events: EngineEmitter) => void;
  /** The attack suite: which attack, and what fraction of the clients run it. */
  readonly attack?: AttackConfig;
  /** Examples in the server's root dataset (FLTrust), drawn from the pooled training data. Default 100. */
  readonly rootSize?: number;
  /** Differential privacy: the engine's policy and the clients' side of it. */
  readonly privacy?: { readonly policy: PrivacyPolicy; readonly client: ScenarioHostInit['privacy'] };
}

export interface SimulateOutcome {
  readonly result: RunResult;
  readonly prepared: PreparedScenario;
  readonly initialParams: ParameterSet;
  /** A model in this thread (for the server's evaluations and the baselines of the report). */
  readonly model: SharedModel;
  /** The backend actually in use (wasm, or cpu after a fallback). */
  readonly backend: BackendName;
  /** The clients that attacked (sorted); empty without an attack. */
  readonly attackers: readonly string[];
}

/**
 * The server's root dataset (FLTrust): `size` examples drawn by the seed from all clients' training data, as the
 * paper's "small clean training set" collected by the service provider from the same distribution.
 */
export function rootDataset(prepared: PreparedScenario, size: number, seed: number): Dataset {
  const rows: { data: Dataset; row: number }[] = [];
  for (const client of prepared.clients) {
    for (let row = 0; row < client.train.size; row++) rows.push({ data: client.train, row });
  }
  const chosen = new Rng(seed).split('root-dataset').sample(rows, Math.min(size, rows.length));
  const width = featureSize(prepared.featureShape);
  const features = new Float32Array(chosen.length * width);
  const labels = new Int32Array(chosen.length);
  chosen.forEach(({ data, row }, i) => {
    features.set(data.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = data.labels[row]!;
  });
  return {
    name: 'server root data',
    features,
    labels,
    featureShape: prepared.featureShape,
    numClasses: prepared.numClasses,
    size: chosen.length,
  };
}

/** The host module next to this file, with this file's extension (.ts under the test runner, .js when built). */
function hostModuleUrl(): URL {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./scenario-host${extension}`, import.meta.url);
}

export const EVALUATION_BATCH_SIZE = 256;

/** Builds the scenario's model in this thread; its initial weights are the run's initial parameters. */
export async function scenarioModel(
  scenario: ScenarioConfig,
  backend: BackendName,
): Promise<{ prepared: PreparedScenario; model: SharedModel; backend: BackendName }> {
  const active = await initBackend(backend);
  const prepared = await prepareScenarioOnce(scenario);
  const model = SharedModel.create(scenario.model, {
    inputShape: prepared.featureShape,
    numClasses: prepared.numClasses,
    seed: scenario.seed,
  });
  return { prepared, model, backend: active };
}

export async function simulate(spec: SimulateSpec): Promise<SimulateOutcome> {
  const { prepared, model, backend } = await scenarioModel(spec.scenario, spec.backend);
  const initialParams = model.getParameters();
  // The server's test rows are pooled; its majority-class baseline is the pooled training data's commonest class.
  const evaluator = new TfjsTrainer(model, prepared.serverTest, {
    majorityFrom: pooledTrainingLabels(prepared),
  });
  const engineConfig = resolveEngineConfig(spec.engine);
  const root = new TfjsTrainer(model, rootDataset(prepared, spec.rootSize ?? 100, engineConfig.seed));
  const attack = spec.attack;
  const attackers = attack
    ? chooseAttackers(
        prepared.clients.map((c) => c.id),
        attack.fraction,
        engineConfig.seed,
      )
    : [];
  const homomorphic = engineConfig.homomorphicAggregation;
  const hostInit: ScenarioHostInit = {
    scenario: spec.scenario,
    backend: spec.backend,
    // The virtual clients' shared CKKS key, made on their side of the simulation: it goes to the client host only,
    // never to the engine, which adds ciphertexts with the public parameters alone.
    ...(homomorphic ? { homomorphicKeyFile: await clientKeyFile(homomorphic.params) } : {}),
    // Each virtual client's identity key and the roster they all hold, for signed secure aggregation.
    ...(engineConfig.secureAggregation?.signed
      ? { identities: await clientIdentities(prepared.clients.map((c) => c.id)) }
      : {}),
    ...(attack?.name === 'label-flip' ? { labelFlipped: attackers } : {}),
    ...(spec.privacy ? { privacy: spec.privacy.client } : {}),
  };
  const result = await runSimulation({
    hostModule: hostModuleUrl(),
    hostInit,
    workers: spec.workers,
    engine: spec.engine,
    strategy: spec.strategy,
    initialParams,
    serverEvaluate: (params, round) =>
      evaluator.evaluate(params, { round, batchSize: EVALUATION_BATCH_SIZE }),
    serverFit: async (params, round) =>
      (
        await root.fit(params, {
          round,
          seed: new Rng(engineConfig.seed).split('root-fit', round).nextUint32(),
          localEpochs: engineConfig.localEpochs,
          batchSize: engineConfig.batchSize,
          learningRate: engineConfig.learningRate,
          optimizer: engineConfig.optimizer,
          momentum: engineConfig.momentum,
        })
      ).params,
    ...(attack
      ? { wrapPool: (pool: ClientPool) => new AttackPool(pool, attack, attackers, engineConfig.seed) }
      : {}),
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.privacy ? { privacy: spec.privacy.policy } : {}),
    ...(spec.subscribe ? { subscribe: spec.subscribe } : {}),
  });
  return { result, prepared, initialParams, model, backend, attackers };
}

async function clientIdentities(
  ids: readonly string[],
): Promise<NonNullable<ScenarioHostInit['identities']>> {
  const pairs = await Promise.all(ids.map(() => secagg.generateEd25519()));
  const keys = await Promise.all(pairs.map((p) => secagg.exportEd25519Private(p.privateKey)));
  return {
    roster: Object.fromEntries(ids.map((id, i) => [id, pairs[i]!.publicKey])),
    keys: Object.fromEntries(ids.map((id, i) => [id, keys[i]!])),
  };
}

async function clientKeyFile(params: he.CkksParams): Promise<Uint8Array> {
  const keys = he.generateKeys(await he.loadSeal(), params);
  try {
    return he.saveKeys(keys);
  } finally {
    keys.delete();
  }
}

/**
 * Runs a scenario end to end in simulation: builds the data (once per thread), the initial model from the seed and
 * the server-side evaluator, then hands the generic runner a host module so that clients live in this thread or in
 * worker threads. The engine, codec and client runtime are the ones a deployment uses.
 */
import {
  Rng,
  featureSize,
  type Dataset,
  type FitConfig,
  type ParameterSet,
  type Trainer,
} from '../core/index.js';
import type {
  EngineConfig,
  EngineEmitter,
  PrivacyPolicy,
  RoundCommitter,
  RunResult,
} from '../engine/index.js';
import { TfjsTrainer, initBackend, type BackendName, type SharedModel } from '../ml/index.js';
import { he, secagg } from '../privacy/index.js';
import type { Strategy } from '../strategy/index.js';
import { resolveEngineConfig, type ClientPool } from '../engine/index.js';
import { AttackPool, chooseAttackers, type AttackConfig } from './attacks.js';
import { runSimulation } from './runner.js';
import {
  buildTrainer,
  clientSeed,
  loadTrainerFactory,
  refuseFunctionsAcrossWorkers,
  type CustomClients,
  type TrainerFactory,
} from './custom-clients.js';
import { prepareScenarioOnce, scenarioSharedModel, type ScenarioHostInit } from './scenario-host.js';
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
  /** The user's TF.js model factory instead of the scenario's zoo model (library use). */
  readonly userModel?: CustomClients['model'];
  /** The run's initial parameters instead of the model's initial weights (same layout). */
  readonly initialParams?: ParameterSet;
  /** Where committed rounds go (a run database, see record.ts); made from the initial parameters when needed. */
  readonly committer?: (initialParams: ParameterSet) => Promise<RoundCommitter>;
}

/** A simulation whose clients run the user's own Trainers (library use). */
export interface TrainerSimulateSpec extends Omit<SimulateSpec, 'userModel'> {
  readonly trainer: NonNullable<CustomClients['trainer']>;
  /** Required: only the user's trainers know the layout of their parameters. */
  readonly initialParams: ParameterSet;
}

/** What a simulation with the user's trainers returns: everything but a model (there is none of Flotilla's). */
export interface TrainerSimulateOutcome {
  readonly result: RunResult;
  readonly prepared: PreparedScenario;
  readonly initialParams: ParameterSet;
  readonly backend: BackendName;
  readonly attackers: readonly string[];
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

/** Builds the scenario's model (the zoo's, or the user's) in this thread; its initial weights start the run. */
export async function scenarioModel(
  scenario: ScenarioConfig,
  backend: BackendName,
  userModel?: CustomClients['model'],
): Promise<{ prepared: PreparedScenario; model: SharedModel; backend: BackendName }> {
  const active = await initBackend(backend);
  const prepared = await prepareScenarioOnce(scenario);
  const model = await scenarioSharedModel(
    scenario,
    { inputShape: prepared.featureShape, numClasses: prepared.numClasses, seed: scenario.seed },
    userModel === undefined ? undefined : { model: userModel },
  );
  return { prepared, model, backend: active };
}

/** The server's side of a simulation: what evaluates the global model and what trains on the root data. */
interface ServerSide {
  readonly initialParams: ParameterSet;
  readonly evaluator: Trainer;
  /** Built on first use: only FLTrust trains on the server's root data. */
  readonly root: (data: Dataset) => Promise<Trainer>;
}

/** The local training settings of the server's own fit (FLTrust), from the engine's. */
function rootFitConfig(engine: ReturnType<typeof resolveEngineConfig>, round: number): FitConfig {
  return {
    round,
    seed: new Rng(engine.seed).split('root-fit', round).nextUint32(),
    localEpochs: engine.localEpochs,
    batchSize: engine.batchSize,
    learningRate: engine.learningRate,
    optimizer: engine.optimizer,
    momentum: engine.momentum,
  };
}

async function runScenario(
  spec: Omit<SimulateSpec, 'userModel' | 'initialParams'>,
  prepared: PreparedScenario,
  server: ServerSide,
  custom: CustomClients | undefined,
): Promise<{ result: RunResult; attackers: readonly string[] }> {
  const engineConfig = resolveEngineConfig(spec.engine);
  let root: Promise<Trainer> | undefined;
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
    ...(custom ? { custom } : {}),
  };
  const result = await runSimulation({
    hostModule: hostModuleUrl(),
    hostInit,
    workers: spec.workers,
    engine: spec.engine,
    strategy: spec.strategy,
    initialParams: server.initialParams,
    serverEvaluate: (params, round) =>
      server.evaluator.evaluate(params, { round, batchSize: EVALUATION_BATCH_SIZE }),
    serverFit: async (params, round) => {
      root ??= server.root(rootDataset(prepared, spec.rootSize ?? 100, engineConfig.seed));
      return (await (await root).fit(params, rootFitConfig(engineConfig, round))).params;
    },
    ...(attack
      ? { wrapPool: (pool: ClientPool) => new AttackPool(pool, attack, attackers, engineConfig.seed) }
      : {}),
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.privacy ? { privacy: spec.privacy.policy } : {}),
    ...(spec.subscribe ? { subscribe: spec.subscribe } : {}),
    ...(spec.committer ? { committer: await spec.committer(server.initialParams) } : {}),
  });
  return { result, attackers };
}

/** Runs a scenario on the zoo model it names, or on the user's model factory (`userModel`). */
export async function simulate(spec: SimulateSpec): Promise<SimulateOutcome> {
  refuseFunctionsAcrossWorkers(
    spec.userModel === undefined ? undefined : { model: spec.userModel },
    spec.workers,
  );
  const { prepared, model, backend } = await scenarioModel(spec.scenario, spec.backend, spec.userModel);
  const initialParams = spec.initialParams ?? model.getParameters();
  model.layout.assertEquals(initialParams.layout, 'the model and the initial parameters');
  const { result, attackers } = await runScenario(
    spec,
    prepared,
    {
      initialParams,
      // The server's test rows are pooled; its majority-class baseline is the pooled training data's commonest class.
      evaluator: new TfjsTrainer(model, prepared.serverTest, {
        majorityFrom: pooledTrainingLabels(prepared),
      }),
      root: async (data) => new TfjsTrainer(model, data),
    },
    spec.userModel === undefined ? undefined : { model: spec.userModel },
  );
  return { result, prepared, initialParams, model, backend, attackers };
}

/**
 * Runs a scenario whose clients (and the server's evaluation, as client `server` on the server's test set) run
 * the user's own Trainers.
 */
export async function simulateTrainers(spec: TrainerSimulateSpec): Promise<TrainerSimulateOutcome> {
  refuseFunctionsAcrossWorkers({ trainer: spec.trainer }, spec.workers);
  const backend = await initBackend(spec.backend);
  const prepared = await prepareScenarioOnce(spec.scenario);
  const factory: TrainerFactory = await loadTrainerFactory(spec.trainer);
  const serverTrainer = (id: string, train: Dataset, test?: Dataset) =>
    buildTrainer(factory, { id, train, ...(test ? { test } : {}), seed: clientSeed(spec.scenario.seed, id) });
  const { result, attackers } = await runScenario(
    spec,
    prepared,
    {
      initialParams: spec.initialParams,
      evaluator: await serverTrainer('server', prepared.serverTest, prepared.serverTest),
      root: (data) => serverTrainer('server-root', data),
    },
    { trainer: spec.trainer },
  );
  return { result, prepared, initialParams: spec.initialParams, backend, attackers };
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

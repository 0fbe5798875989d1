/**
 * Runs a scenario end to end in simulation: builds the data (once per thread), the initial model from the seed and
 * the server-side evaluator, then hands the generic runner a host module so that clients live in this thread or in
 * worker threads. The engine, codec and client runtime are the ones a deployment uses.
 */
import type { ParameterSet } from '../core/index.js';
import type { EngineConfig, EngineEmitter, PrivacyPolicy, RunResult } from '../engine/index.js';
import { SharedModel, TfjsTrainer, initBackend, type BackendName } from '../ml/index.js';
import type { Strategy } from '../strategy/index.js';
import { runSimulation } from './runner.js';
import { prepareScenarioOnce, type ScenarioHostInit } from './scenario-host.js';
import type { PreparedScenario, ScenarioConfig } from './scenario.js';

export interface SimulateSpec {
  readonly scenario: ScenarioConfig;
  readonly backend: BackendName;
  readonly workers: number;
  readonly engine: EngineConfig;
  readonly strategy: Strategy;
  readonly signal?: AbortSignal;
  readonly subscribe?: (events: EngineEmitter) => void;
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
  const evaluator = new TfjsTrainer(model, prepared.serverTest);
  const hostInit: ScenarioHostInit = {
    scenario: spec.scenario,
    backend: spec.backend,
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
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.privacy ? { privacy: spec.privacy.policy } : {}),
    ...(spec.subscribe ? { subscribe: spec.subscribe } : {}),
  });
  return { result, prepared, initialParams, model, backend };
}

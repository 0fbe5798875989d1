/**
 * `flotilla/sim`: run a simulation from a program, with the settings of a config file and the user's own model,
 * trainer, strategy and event listeners. It composes what `flotilla simulate` composes (the settings, the run
 * config, the simulator), so a setting means the same here as on the command line.
 *
 * @module flotilla/sim
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveRunConfig } from '../cli/run-config.js';
import { FlotillaError, type ParameterSet } from '../core/index.js';
import {
  attachListeners,
  checkListeners,
  type EngineListeners,
  type RoundPrivacy,
  type RoundRecord,
} from '../engine/index.js';
import type { PartitionDescription } from '../data/index.js';
import type { BackendName } from '../ml/index.js';
import type { ModelFactory, TrainerFactory } from '../sim/custom-clients.js';
import { simulate as runScenario, simulateTrainers } from '../sim/simulate.js';
import type { Strategy } from '../strategy/index.js';
import { RunAlerts, type AlertEvent } from '../telemetry/index.js';
import { readRunSettings, type SettingsInput } from './settings.js';

export type {
  ModelFactory,
  ModelFactoryInput,
  TrainerFactory,
  TrainerFactoryInput,
} from '../sim/custom-clients.js';
export type { SettingsInput } from './settings.js';
export type { AlertEvent } from '../telemetry/index.js';

/**
 * What {@link simulate} runs. Every field is optional: `simulate({})` runs the default MNIST federation.
 * @example
 * ```ts
 * const options: SimulateOptions = { settings: { rounds: 5, dataset: 'fashion-mnist' }, strategy: new FedAvgM() };
 * const report = await simulate(options);
 * ```
 */
export interface SimulateOptions {
  /**
   * The keys of a `flotilla simulate` config file (rounds, clients, dataset, strategy, dp, ...), validated like a
   * config file; or the path of a YAML or JSON config file.
   */
  readonly settings?: SettingsInput;
  /**
   * The user's TF.js model, built from the data's input shape and class count and wrapped by Flotilla's trainer (its
   * losses, DP-SGD and metrics). Its last layer must be `tf.layers.activation` (softmax, or sigmoid over one unit).
   * A function runs with `workers: 1` only; the path or URL of a module exporting `createModel` works with any.
   */
  readonly model?: ModelFactory | string;
  /**
   * The user's own training code: a Trainer per client, given that client's data. The server evaluates the global
   * model with a trainer built for client id `server` on the server's test set. Needs `initialParameters`.
   * A function runs with `workers: 1` only; the path or URL of a module exporting `createTrainer` works with any.
   */
  readonly trainer?: TrainerFactory | string;
  /** The run's initial global parameters: required with `trainer`, optional with `model` (same layout). */
  readonly initialParameters?: ParameterSet;
  /** The user's aggregation rule; overrides `settings.strategy` and its parameters. */
  readonly strategy?: Strategy;
  /** Listeners for the engine's events, by name. */
  readonly on?: EngineListeners;
  /** Stops the run after the round in progress is committed. */
  readonly signal?: AbortSignal;
}

/**
 * What a simulation produced.
 * @example
 * ```ts
 * const report: SimulationReport = await simulate({ settings: { rounds: 3 } });
 * console.log(report.status, report.lastRound, report.history.at(-1)?.serverEvaluation?.metrics.accuracy);
 * ```
 */
export interface SimulationReport {
  /** 'aborted' after `signal`; 'budget-exhausted' when the next round would overspend the privacy budget. */
  readonly status: 'completed' | 'aborted' | 'budget-exhausted';
  /** Why a run ended with 'budget-exhausted'. */
  readonly reason?: string;
  /** One record per committed round: participants, training and evaluation metrics, durations, traffic. */
  readonly history: readonly RoundRecord[];
  /** The global parameters after the last committed round. */
  readonly finalParameters: ParameterSet;
  /** The parameters the run started from. */
  readonly initialParameters: ParameterSet;
  /** The last committed round. */
  readonly lastRound: number;
  /** Privacy spent by the whole run, when it uses differential privacy. */
  readonly privacy?: Omit<RoundPrivacy, 'details'>;
  /** How the data was split among the clients (sizes, label skew). */
  readonly partitions: PartitionDescription;
  /** The TF.js backend in use (wasm, or cpu after a fallback). */
  readonly backend: BackendName;
  /** The clients that ran the configured attack (empty without one). */
  readonly attackers: readonly string[];
  /** What the anomaly rules raised, in order (empty with `alerts: false`); webhooks in `settings.alerts` got them. */
  readonly alerts: readonly AlertEvent[];
}

/** A module path (relative to the working directory) as a URL; URLs and functions pass through. */
function moduleSource<T>(source: T | string): T | string {
  if (typeof source !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(source)) return source;
  return pathToFileURL(isAbsolute(source) ? source : resolve(source)).href;
}

function checkOptions(options: SimulateOptions, settings: { readonly model?: string }): void {
  if (options.model !== undefined && options.trainer !== undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'give "model" (a TF.js model Flotilla trains) or "trainer" (your own training), not both',
      { key: 'trainer' },
    );
  }
  if (options.trainer !== undefined && options.initialParameters === undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"trainer" needs "initialParameters": nothing else knows the layout of your parameters',
      { key: 'initialParameters' },
    );
  }
  if ((options.model !== undefined || options.trainer !== undefined) && settings.model !== undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `settings.model "${settings.model}" names a built-in model, but the "${options.model !== undefined ? 'model' : 'trainer'}" option brings your own: drop one`,
      { key: 'model' },
    );
  }
}

/**
 * Runs a federation of virtual clients on this machine: the engine, codec and client runtime of a deployment, the
 * settings of a `flotilla simulate` config file, and optionally the user's own model, trainer, strategy and
 * listeners. Rejects with a {@link FlotillaError} naming the bad setting, or the round's failure when no round can
 * commit (e.g. a trainer that returns non-finite parameters).
 *
 * @example
 * ```ts
 * import { simulate } from 'flotilla/sim';
 *
 * const report = await simulate({
 *   settings: { rounds: 2, clients: 4, trainLimit: 400, fraction: 1, testFraction: 0.2 },
 *   on: { 'round-committed': ({ record }) => console.log('round', record.round) },
 * });
 * console.log(report.history.at(-1)?.serverEvaluation?.metrics.accuracy);
 * ```
 */
export async function simulate(options: SimulateOptions = {}): Promise<SimulationReport> {
  checkListeners(options.on);
  const settings = readRunSettings(options.settings);
  checkOptions(options, settings);
  const custom = options.model !== undefined || options.trainer !== undefined;
  const config = resolveRunConfig(settings);
  const spec = {
    scenario: { ...config.scenario, ...(custom ? { userModel: true } : {}) },
    backend: config.backend,
    workers: config.workers,
    engine: config.engine,
    strategy: options.strategy ?? config.strategy,
    ...(config.attack ? { attack: config.attack } : {}),
    rootSize: config.rootSize,
    ...(config.privacy ? { privacy: config.privacy } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    subscribe: (events: Parameters<typeof attachListeners>[0]) => {
      attachListeners(events, options.on);
      alerts?.attach(events);
    },
  };
  const alerts = config.alerts && new RunAlerts(config.alerts);
  const raised: AlertEvent[] = [];
  alerts?.bus.on('alert', (alert) => raised.push(alert));
  try {
    if (options.trainer !== undefined) {
      const outcome = await simulateTrainers({
        ...spec,
        trainer: moduleSource(options.trainer),
        initialParams: options.initialParameters!,
      });
      return report(outcome, raised);
    }
    const outcome = await runScenario({
      ...spec,
      ...(options.model !== undefined ? { userModel: moduleSource(options.model) } : {}),
      ...(options.initialParameters ? { initialParams: options.initialParameters } : {}),
    });
    try {
      return report(outcome, raised);
    } finally {
      outcome.model.dispose();
    }
  } finally {
    await alerts?.close();
  }
}

function report(
  outcome: Awaited<ReturnType<typeof simulateTrainers>>,
  alerts: readonly AlertEvent[],
): SimulationReport {
  const { result } = outcome;
  return {
    status: result.status,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    history: result.history,
    finalParameters: result.params,
    initialParameters: outcome.initialParams,
    lastRound: result.lastRound,
    ...(result.privacy ? { privacy: result.privacy } : {}),
    partitions: outcome.prepared.partitionStats,
    backend: outcome.backend,
    attackers: outcome.attackers,
    alerts,
  };
}

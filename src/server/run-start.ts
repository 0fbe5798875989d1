/**
 * How a server starts its run: a new run is created with its initial model; a run the database already holds resumes
 * from its latest checkpoint (the next round, the saved strategy state and privacy ledger).
 */
import { FlotillaError, type ParameterSet } from '../core/index.js';
import type { PrivacyCheckpoint } from '../engine/index.js';
import { initBackend, initialParameters } from '../ml/index.js';
import type { Storage, StoredStrategyState } from '../storage/index.js';
import type { ServerConfig, ServerHooks } from './server.js';

export interface Start {
  readonly params: ParameterSet;
  readonly startRound: number;
  readonly strategyState?: StoredStrategyState;
  readonly privacyState?: PrivacyCheckpoint;
}

/**
 * The privacy ledger saved with the run's last checkpoint, checked against the policy the server now runs: a run
 * started with DP cannot resume without it (its spending would be forgotten), nor one started without DP with it
 * (its earlier rounds were released unprotected, which no ledger can account for).
 */
function resumedLedger(
  config: ServerConfig,
  checkpoint: { readonly round: number; readonly privacyLedger?: unknown } | undefined,
): PrivacyCheckpoint | undefined {
  if (!checkpoint) return undefined;
  const ledger = checkpoint.privacyLedger as PrivacyCheckpoint | undefined;
  if (ledger === undefined && config.privacy) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `run ${config.runId} committed ${checkpoint.round} round(s) without differential privacy; it cannot resume with "dp" on (start a new run with another --run-id)`,
      { key: 'dp' },
    );
  }
  if (ledger !== undefined && !config.privacy) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `run ${config.runId} spends a ${ledger.mechanism} privacy budget; resume it with the same "dp" settings`,
      { key: 'dp' },
    );
  }
  return ledger;
}

export async function openRun(
  storage: Storage,
  config: ServerConfig,
  log: ServerHooks['log'],
): Promise<Start> {
  const existing = await storage.getRun(config.runId);
  if (existing) {
    const checkpoint = await storage.latestCheckpoint(config.runId);
    const privacyState = resumedLedger(config, checkpoint);
    const start: Start = checkpoint
      ? {
          params: checkpoint.params,
          startRound: checkpoint.round + 1,
          strategyState: checkpoint.strategyState,
          ...(privacyState ? { privacyState } : {}),
        }
      : { params: await storage.initialParams(config.runId), startRound: 1 };
    log?.({ event: 'resumed', runId: config.runId, fromRound: start.startRound });
    return start;
  }
  await initBackend('cpu');
  const { model } = config;
  const params =
    config.initialParams ??
    initialParameters(model.name, { inputShape: model.inputShape, numClasses: model.numClasses }, model.seed);
  await storage.createRun({
    runId: config.runId,
    name: config.runId,
    strategy: config.userStrategy?.name ?? config.strategy,
    config: {
      model,
      engine: config.engine,
      strategyParams: config.strategyParams ?? {},
      ...(config.privacy ? { privacy: config.privacy.settings } : {}),
    },
    initialParams: params,
  });
  log?.({ event: 'created', runId: config.runId });
  return { params, startRound: 1 };
}

/**
 * The generic simulation runner: builds the client pool a simulation needs (in this thread, or spread over worker
 * threads) from a host module, runs the round engine on it and closes the pool. Dataset- and model-specific wiring
 * (which host module, which init) is the caller's; this only composes engine and transport.
 */
import type { ParameterSet } from '../core/index.js';
import {
  RoundEngine,
  resolveEngineConfig,
  type ClientPool,
  type EngineConfig,
  type EngineEmitter,
  type PrivacyPolicy,
  type RoundCommitter,
  type RunResult,
  type ServerEvaluate,
} from '../engine/index.js';
import type { ServerFit } from '../strategy/strategy.js';
import type { DecodeLimits } from '../protocol/index.js';
import type { Strategy, StrategyState } from '../strategy/strategy.js';
import { InProcessPool, WorkerThreadPool, loadClientHostModule } from '../transport/index.js';

export interface SimulationOptions {
  /** Module exporting `createClientHost(init)`; loaded in this thread or in every worker. */
  readonly hostModule: URL;
  /** Structured-cloneable init for the host module (e.g. the scenario config and seed). */
  readonly hostInit: unknown;
  /** Worker threads; 0 or 1 runs every client in this thread. Default 1. */
  readonly workers?: number;
  /** Tasks in flight per thread. Default 1. */
  readonly concurrency?: number;
  readonly engine: EngineConfig;
  readonly strategy: Strategy;
  readonly initialParams: ParameterSet;
  readonly serverEvaluate?: ServerEvaluate;
  /** Training on the server's root data (FLTrust). */
  readonly serverFit?: ServerFit;
  /** Wraps the client pool before the engine uses it (the attack suite's AttackPool). */
  readonly wrapPool?: (pool: ClientPool) => ClientPool;
  readonly committer?: RoundCommitter;
  readonly limits?: DecodeLimits;
  /** Differential privacy: the engine's privacy policy. */
  readonly privacy?: PrivacyPolicy;
  readonly startRound?: number;
  readonly strategyState?: StrategyState;
  readonly signal?: AbortSignal;
  /** Called with the engine's events before the run starts: attach progress displays and recorders here. */
  readonly subscribe?: (events: EngineEmitter) => void;
}

async function createPool(options: SimulationOptions): Promise<ClientPool> {
  const workers = options.workers ?? 1;
  const concurrency = options.concurrency ?? 1;
  if (workers <= 1) {
    const host = await (await loadClientHostModule(options.hostModule)).createClientHost(options.hostInit);
    return new InProcessPool(host, { concurrency });
  }
  return WorkerThreadPool.create({
    workers,
    hostModule: options.hostModule,
    init: options.hostInit,
    tasksPerWorker: concurrency,
    // A secure-aggregation round's keys live in the client that advertised them, and SCAFFOLD's c_i in the client
    // that last trained: their later tasks must reach the same thread.
    stickyClients:
      options.engine.secureAggregation !== undefined || options.strategy.statefulClients === true,
  });
}

export async function runSimulation(options: SimulationOptions): Promise<RunResult> {
  resolveEngineConfig(options.engine); // fail on a bad config before starting any worker
  const inner = await createPool(options);
  const pool = options.wrapPool ? options.wrapPool(inner) : inner;
  try {
    const engine = new RoundEngine({
      pool,
      strategy: options.strategy,
      config: options.engine,
      ...(options.serverEvaluate ? { serverEvaluate: options.serverEvaluate } : {}),
      ...(options.serverFit ? { serverFit: options.serverFit } : {}),
      ...(options.committer ? { committer: options.committer } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.privacy ? { privacy: options.privacy } : {}),
    });
    options.subscribe?.(engine.events);
    return await engine.run({
      initialParams: options.initialParams,
      ...(options.startRound !== undefined ? { startRound: options.startRound } : {}),
      ...(options.strategyState ? { strategyState: options.strategyState } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await pool.close();
  }
}

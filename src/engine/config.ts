/**
 * The round engine's configuration: what a run asks of each round. Plain data (JSON-serializable) so it can be
 * written to a run record and reloaded by a resumed server; `resolveEngineConfig` validates it once and fills the
 * defaults, so the engine itself never re-checks a field.
 */
import { FlotillaError, type OptimizerName } from '../core/index.js';
import { resolveHomomorphic, type HomomorphicConfig, type ResolvedHomomorphic } from './homomorphic.js';
import {
  resolveSecureAggregation,
  type ResolvedSecureAggregation,
  type SecureAggregationConfig,
} from './secure-aggregation.js';

/**
 * How many valid results a round needs to commit: a number below 1 is a fraction of the selected clients, a number
 * >= 1 a count. The object forms say which explicitly (e.g. `{ fraction: 1 }` for "every selected client").
 */
export type MinResults = number | { readonly fraction: number } | { readonly count: number };

export interface EngineConfig {
  /** Last round number of the run (rounds are numbered from 1). */
  readonly rounds: number;
  /** Fraction of available clients selected per round, in (0, 1]. Exclusive with `clientsPerRound`. */
  readonly fractionFit?: number;
  /** Exact number of clients selected per round (capped by availability). Exclusive with `fractionFit`. */
  readonly clientsPerRound?: number;
  /**
   * How a round's clients are drawn. 'fixed-size' (default): exactly the selection size, uniformly without
   * replacement. 'poisson': each available client joins independently with probability `fractionFit` (or
   * clientsPerRound / available), so the number selected varies and may be 0; `minFitClients` does not raise it.
   * Differential privacy accounts each scheme with its own analysis, so the choice must match the selection.
   */
  readonly clientSampling?: ClientSamplingKind;
  /** Fewest clients a round may select; a round with fewer available fails its attempt. Default 1. */
  readonly minFitClients?: number;
  /** Valid results needed to commit a round. Default `{ fraction: 0.5 }`. */
  readonly minResults?: MinResults;
  /** Attempts with a fresh selection after a failed one, before the run fails with ROUND_FAILED. Default 2. */
  readonly maxRetries?: number;
  /**
   * How long a round waits for enough clients to connect (clientsNeeded in availability.ts) before the run fails
   * with CLIENT_WAIT_TIMEOUT; 0 waits without limit. Only pools whose clients come and go wait. Default 0.
   */
  readonly clientWaitTimeoutMs?: number;
  /**
   * Pause before the first retry of a failed attempt; each further retry doubles it, up to `retryBackoffMaxMs`,
   * with seeded jitter. Only pools whose clients come and go pause. Default 1000 ms.
   */
  readonly retryBackoffMs?: number;
  /** Longest pause between two attempts of a round. Default 30 000 ms. */
  readonly retryBackoffMaxMs?: number;
  /** Time allowed for fit replies, from dispatch. Default 60 000 ms. */
  readonly fitDeadlineMs?: number;
  /** Run federated evaluation every k rounds (and after the last round); 0 disables it. Default 0. */
  readonly evaluateEvery?: number;
  /** Fraction of available clients asked to evaluate, in (0, 1]. Default 1. */
  readonly fractionEvaluate?: number;
  /** Time allowed for evaluation replies. Defaults to `fitDeadlineMs`. */
  readonly evaluateDeadlineMs?: number;
  /** Run the server-side evaluation callback every k rounds (and after the last round). Default 1. */
  readonly serverEvaluateEvery?: number;
  readonly localEpochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly optimizer?: OptimizerName;
  readonly momentum?: number;
  /** Run seed: selection, per-client seeds and strategy streams all derive from it. Default 0. */
  readonly seed?: number;
  /** SecAgg+ (secure-aggregation.ts): the server learns only the sum of each round's updates. Absent: off. */
  readonly secureAggregation?: SecureAggregationConfig;
  /** CKKS homomorphic aggregation (homomorphic.ts): clients encrypt, the server adds ciphertexts. Absent: off. */
  readonly homomorphicAggregation?: HomomorphicConfig;
  /**
   * Most examples one client may claim in a reply (its weight in aggregation and in federated evaluation); a reply
   * claiming more is the client's failure ('rejected'). Default 1,000,000: well above any one client of the project's tasks, low enough that no
   * single claim outweighs a federation (update-bounds.ts).
   */
  readonly maxExamplesPerClient?: number;
  /**
   * Largest L2 norm of one client's update (trained minus global parameters); under secure or homomorphic
   * aggregation, of the round's mean update. Default 1000, far above honest updates (see README) and far below
   * anything that could overflow the model.
   */
  readonly maxUpdateNorm?: number;
  /** 'reject' (default): a longer update is the client's failure. 'clip': it is scaled down to the bound. */
  readonly updateNormAction?: UpdateNormAction;
}

export type ClientSamplingKind = 'fixed-size' | 'poisson';

/** What happens to an update longer than `maxUpdateNorm`. */
export type UpdateNormAction = 'reject' | 'clip';

export type ResolvedEngineConfig = Required<
  Omit<
    EngineConfig,
    'fractionFit' | 'clientsPerRound' | 'minResults' | 'secureAggregation' | 'homomorphicAggregation'
  >
> & {
  /** Exactly one of the two is set. */
  readonly fractionFit: number | undefined;
  readonly clientsPerRound: number | undefined;
  readonly minResults: { readonly fraction: number } | { readonly count: number };
  readonly secureAggregation: ResolvedSecureAggregation | undefined;
  readonly homomorphicAggregation: ResolvedHomomorphic | undefined;
};

function invalid(key: string, message: string): never {
  throw new FlotillaError('CONFIG_INVALID', `engine config "${key}" ${message}`, { key });
}

function integer(value: unknown, key: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    invalid(key, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function fraction(value: unknown, key: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    invalid(key, `must be a number in (0, 1], got ${String(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    invalid(key, `must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function positive(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    invalid(key, `must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function resolveMinResults(value: MinResults | undefined): ResolvedEngineConfig['minResults'] {
  if (value === undefined) return { fraction: 0.5 };
  if (typeof value === 'number') {
    return value < 1
      ? { fraction: fraction(value, 'minResults') }
      : { count: integer(value, 'minResults', 1) };
  }
  if (typeof value === 'object' && value !== null) {
    if ('fraction' in value) return { fraction: fraction(value.fraction, 'minResults.fraction') };
    if ('count' in value) return { count: integer(value.count, 'minResults.count', 1) };
  }
  return invalid('minResults', 'must be a number, { fraction } or { count }');
}

export function resolveEngineConfig(config: EngineConfig): ResolvedEngineConfig {
  if (config.fractionFit !== undefined && config.clientsPerRound !== undefined) {
    invalid('fractionFit', 'and "clientsPerRound" are exclusive; set one');
  }
  const optimizer = config.optimizer ?? 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam')
    invalid('optimizer', `must be "sgd" or "adam", got ${optimizer}`);
  const momentum = config.momentum ?? 0;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum < 1)) {
    invalid('momentum', `must be in [0, 1), got ${String(momentum)}`);
  }
  const clientSampling = config.clientSampling ?? 'fixed-size';
  if (clientSampling !== 'fixed-size' && clientSampling !== 'poisson') {
    invalid('clientSampling', `must be "fixed-size" or "poisson", got ${String(clientSampling)}`);
  }
  const seed = config.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    invalid('seed', `must be an integer, got ${seed}`);
  const updateNormAction = config.updateNormAction ?? 'reject';
  if (updateNormAction !== 'reject' && updateNormAction !== 'clip') {
    invalid('updateNormAction', `must be "reject" or "clip", got ${String(updateNormAction)}`);
  }
  const fitDeadlineMs = positive(config.fitDeadlineMs ?? 60_000, 'fitDeadlineMs');
  if (config.secureAggregation !== undefined && config.homomorphicAggregation !== undefined) {
    invalid(
      'secureAggregation',
      'and "homomorphicAggregation" are exclusive: each hides the updates on its own',
    );
  }
  const retryBackoffMs = nonNegative(config.retryBackoffMs ?? 1000, 'retryBackoffMs');
  const retryBackoffMaxMs = nonNegative(config.retryBackoffMaxMs ?? 30_000, 'retryBackoffMaxMs');
  if (retryBackoffMaxMs < retryBackoffMs) {
    invalid(
      'retryBackoffMaxMs',
      `(${retryBackoffMaxMs}) must be at least retryBackoffMs (${retryBackoffMs})`,
    );
  }
  return {
    rounds: integer(config.rounds, 'rounds', 1),
    fractionFit:
      config.clientsPerRound === undefined ? fraction(config.fractionFit ?? 1, 'fractionFit') : undefined,
    clientsPerRound:
      config.clientsPerRound === undefined
        ? undefined
        : integer(config.clientsPerRound, 'clientsPerRound', 1),
    clientSampling,
    minFitClients: integer(config.minFitClients ?? 1, 'minFitClients', 1),
    minResults: resolveMinResults(config.minResults),
    maxRetries: integer(config.maxRetries ?? 2, 'maxRetries', 0),
    clientWaitTimeoutMs: nonNegative(config.clientWaitTimeoutMs ?? 0, 'clientWaitTimeoutMs'),
    retryBackoffMs,
    retryBackoffMaxMs,
    fitDeadlineMs,
    evaluateEvery: integer(config.evaluateEvery ?? 0, 'evaluateEvery', 0),
    fractionEvaluate: fraction(config.fractionEvaluate ?? 1, 'fractionEvaluate'),
    evaluateDeadlineMs: positive(config.evaluateDeadlineMs ?? fitDeadlineMs, 'evaluateDeadlineMs'),
    serverEvaluateEvery: integer(config.serverEvaluateEvery ?? 1, 'serverEvaluateEvery', 1),
    localEpochs: integer(config.localEpochs ?? 1, 'localEpochs', 1),
    batchSize: integer(config.batchSize ?? 32, 'batchSize', 1),
    learningRate: positive(config.learningRate ?? 0.01, 'learningRate'),
    optimizer,
    momentum,
    seed,
    maxExamplesPerClient: integer(config.maxExamplesPerClient ?? 1_000_000, 'maxExamplesPerClient', 1),
    maxUpdateNorm: positive(config.maxUpdateNorm ?? 1000, 'maxUpdateNorm'),
    updateNormAction,
    secureAggregation:
      config.secureAggregation === undefined ? undefined : resolveSecureAggregation(config.secureAggregation),
    homomorphicAggregation:
      config.homomorphicAggregation === undefined
        ? undefined
        : resolveHomomorphic(config.homomorphicAggregation),
  };
}

/** Number of clients to select from `available`, before the `minFitClients` check. */
export function selectionSize(config: ResolvedEngineConfig, available: number): number {
  const wanted =
    config.clientsPerRound !== undefined
      ? config.clientsPerRound
      : Math.ceil((config.fractionFit ?? 1) * available - 1e-9);
  return Math.min(available, Math.max(wanted, config.minFitClients));
}

/** The probability with which Poisson sampling includes each of `available` clients. */
export function poissonRate(config: ResolvedEngineConfig, available: number): number {
  if (config.clientsPerRound === undefined) return config.fractionFit ?? 1;
  return Math.min(1, config.clientsPerRound / available);
}

/**
 * Valid results needed to commit a round in which `selected` clients were sent a task. A count is not capped by the
 * selection: asking for 5 results from 3 clients fails the attempt rather than silently lowering the bar.
 */
export function requiredResults(config: ResolvedEngineConfig, selected: number): number {
  const min = config.minResults;
  if ('count' in min) return min.count;
  return Math.max(1, Math.ceil(min.fraction * selected - 1e-9));
}

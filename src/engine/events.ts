/**
 * The engine's events (DESIGN principle 5). Progress displays, recorders, metrics exporters and the dashboard
 * subscribe; the engine calls none of them directly and never prints.
 */
import {
  FlotillaError,
  type EvaluateOutput,
  type MetricValues,
  type ResourceReport,
  type TypedEmitter,
} from '../core/index.js';
import type { PrivacyBudget } from '../privacy/index.js';
import type { ClientFailure } from '../strategy/strategy.js';
import type { ResolvedEngineConfig } from './config.js';
import type { FailedAttempt, FederatedEvaluation, RoundRecord } from './history.js';

export type TaskPhase = 'fit' | 'evaluate' | 'secure-aggregation' | 'homomorphic-aggregation';

/**
 * The engine's events by name, each with its payload: what `on` listeners receive (`flotilla/sim`,
 * `flotilla/server`).
 * @example
 * ```ts
 * await simulate({
 *   on: {
 *     'round-started': ({ round, selected }) => console.log(`round ${round}: ${selected.length} clients`),
 *     'client-failed': ({ failure }) => console.warn(failure.clientId, failure.message),
 *     'privacy-spent': ({ epsilon, delta }) => console.log(`epsilon ${epsilon} at delta ${delta}`),
 *   },
 * });
 * ```
 */
export interface EngineEvents {
  'run-started': {
    readonly config: ResolvedEngineConfig;
    readonly strategy: string;
    readonly startRound: number;
    readonly rounds: number;
    readonly numParameters: number;
    readonly availableClients: number;
    readonly startedAt: number;
  };
  /**
   * Fewer clients are connected than the round needs (see clientsNeeded in availability.ts): the engine waits for
   * them before selecting. Emitted when the wait starts; the next 'round-started' (or 'run-finished') ends it.
   */
  'waiting-for-clients': {
    readonly round: number;
    readonly attempt: number;
    readonly needed: number;
    readonly connected: number;
  };
  'round-started': { readonly round: number; readonly attempt: number; readonly selected: readonly string[] };
  'client-result': {
    readonly round: number;
    readonly phase: TaskPhase;
    readonly clientId: string;
    readonly numExamples: number;
    /** What the client reported in the clear: training metrics of a fit, loss and metrics of an evaluation. */
    readonly metrics?: MetricValues;
    /** What the task cost the client and its device, when the client reports resources (validated, bounded). */
    readonly resources?: ResourceReport;
    /** Dispatch to reply on the server's clock. */
    readonly durationMs: number;
  };
  'client-failed': { readonly round: number; readonly phase: TaskPhase; readonly failure: ClientFailure };
  'round-retried': {
    readonly round: number;
    readonly failed: FailedAttempt;
    readonly attemptsLeft: number;
    /** The pause before the next attempt (exponential backoff with seeded jitter; 0 for a fixed pool). */
    readonly retryInMs: number;
  };
  evaluation:
    | { readonly round: number; readonly kind: 'server'; readonly result: EvaluateOutput }
    | { readonly round: number; readonly kind: 'federated'; readonly result: FederatedEvaluation };
  'round-committed': { readonly record: RoundRecord };
  /** After each committed round of a run with differential privacy: the run's spending so far. */
  'privacy-spent': {
    readonly round: number;
    readonly mechanism: string;
    /** Epsilon spent after this round, at `delta`. */
    readonly epsilon: number;
    readonly delta: number;
    readonly budget?: PrivacyBudget;
  };
  'run-finished': {
    readonly status: 'completed' | 'aborted' | 'failed' | 'budget-exhausted';
    /** Why a run ended early with 'budget-exhausted'. */
    readonly reason?: string;
    /** The last committed round (startRound - 1 when none committed). */
    readonly lastRound: number;
    readonly durationMs: number;
    readonly error?: { readonly code: string; readonly message: string };
  };
}

export type EngineEmitter = TypedEmitter<EngineEvents>;

/**
 * The name of an engine event: 'run-started', 'round-committed', ...
 * @example
 * ```ts
 * const name: EngineEventName = 'round-committed';
 * ```
 */
export type EngineEventName = keyof EngineEvents;

/**
 * Listeners by event name, for the library's `on` option: each gets its event's payload. A listener that throws is
 * reported and does not stop the run.
 * @example
 * ```ts
 * const on: EngineListeners = { 'round-committed': ({ record }) => console.log(record.round, record.train.metrics) };
 * await simulate({ on });
 * ```
 */
export type EngineListeners = {
  readonly [E in EngineEventName]?: (payload: EngineEvents[E]) => void;
};

/** Refuses a listener that is not a function or names no engine event, before anything starts. */
export function checkListeners(listeners: EngineListeners | undefined): void {
  for (const [name, listener] of Object.entries(listeners ?? {})) {
    if (!EVENT_NAMES.has(name)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `"on.${name}" is not an engine event (events: ${[...EVENT_NAMES].join(', ')})`,
      );
    }
    if (typeof listener !== 'function') {
      throw new FlotillaError('INVALID_ARGUMENT', `listener "on.${name}" is not a function`);
    }
  }
}

/** Subscribes every listener given (checked as by `checkListeners`); returns a function that removes them all. */
export function attachListeners(events: EngineEmitter, listeners: EngineListeners | undefined): () => void {
  checkListeners(listeners);
  const removers = Object.entries(listeners ?? {}).map(([name, listener]) =>
    events.on(name as EngineEventName, listener as never),
  );
  return () => removers.forEach((remove) => remove());
}

/** Every event name, spelled out so that a new event the listeners cannot name fails to compile here. */
const EVENT_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
    'run-started': true,
    'waiting-for-clients': true,
    'round-started': true,
    'client-result': true,
    'client-failed': true,
    'round-retried': true,
    evaluation: true,
    'round-committed': true,
    'privacy-spent': true,
    'run-finished': true,
  } satisfies Record<EngineEventName, true>),
);

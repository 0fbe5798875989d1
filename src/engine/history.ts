/**
 * What the engine records about each committed round. Plain data (JSON-serializable): recorders write it to run
 * histories, the durable server stores it with the round's parameters, dashboards chart it.
 */
import type { EvaluateOutput, MetricValues } from '../core/index.js';
import type { ClientFailure } from '../strategy/strategy.js';
import type { RoundPrivacy } from './privacy.js';

/** Spread of per-client accuracy in a federated evaluation (issue 4: fairness must be visible, not averaged away). */
export interface AccuracySpread {
  /** Unweighted mean over clients: every client counts once, whatever its data size. */
  readonly mean: number;
  /** Mean accuracy of the worst 10% of clients (at least one client). */
  readonly worst10Mean: number;
  /** Population variance of per-client accuracy. */
  readonly variance: number;
  readonly min: number;
  readonly max: number;
}

export interface FederatedEvaluation {
  readonly round: number;
  /** Clients asked to evaluate. */
  readonly selected: number;
  /** Clients that returned a valid evaluation. */
  readonly participants: number;
  readonly numExamples: number;
  /** Example-weighted mean loss over participants (NaN when none answered). */
  readonly loss: number;
  /** Example-weighted mean of each metric, over the participants that report it. */
  readonly metrics: MetricValues;
  /** Present when participants report an `accuracy` metric. */
  readonly accuracySpread?: AccuracySpread;
  readonly failures: readonly ClientFailure[];
}

/** A failed attempt at a round: why it failed and which clients did not deliver. */
export interface FailedAttempt {
  readonly attempt: number;
  readonly selected: readonly string[];
  readonly reason: string;
  readonly failures: readonly ClientFailure[];
}

export interface RoundDurations {
  /** Dispatch of fit tasks until the last outcome (includes decoding and streaming into the aggregator). */
  readonly fitMs: number;
  /** Time inside the strategy's aggregator (add + finish). */
  readonly aggregationMs: number;
  /** Server-side plus federated evaluation. */
  readonly evaluationMs: number;
  /** The whole round up to the commit (failed attempts included, the committer's own time not). */
  readonly totalMs: number;
}

/**
 * What one committed round did: who was selected and took part, who failed, training and evaluation metrics,
 * durations, traffic and privacy spent.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 3 } });
 * for (const r of report.history) console.log(r.round, r.participants.length, r.serverEvaluation?.metrics.accuracy);
 * ```
 */
export interface RoundRecord {
  readonly round: number;
  /** Attempts this round took (1 when the first selection committed). */
  readonly attempts: number;
  /** Clients sent a fit task in the committed attempt, in dispatch order. */
  readonly selected: readonly string[];
  /** Clients whose results were aggregated, in aggregation order. */
  readonly participants: readonly string[];
  /** Clients of the committed attempt that did not deliver a valid result. */
  readonly failures: readonly ClientFailure[];
  /** Earlier attempts of this round that did not commit. */
  readonly failedAttempts: readonly FailedAttempt[];
  readonly train: { readonly numExamples: number; readonly metrics: MetricValues };
  readonly serverEvaluation?: EvaluateOutput;
  readonly federatedEvaluation?: FederatedEvaluation;
  readonly durations: RoundDurations;
  /** Sum of frame lengths over every task sent and every reply received in this round, attempts included. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Present when the run uses differential privacy: what this round spent and the total so far. */
  readonly privacy?: RoundPrivacy;
}

/**
 * The run events telemetry consumes, described structurally. Telemetry sits beside the engine and imports only core
 * (DESIGN layout), so instead of importing the engine's event types it names the fields it reads; the engine's
 * emitter satisfies this interface, which tsc checks wherever the two are wired together.
 */
import type { MetricValues } from '../core/index.js';

export interface EvaluationSummary {
  readonly loss: number;
  readonly metrics: MetricValues;
}

/** The fields of a committed round's record that telemetry reads; recorders keep the whole record. */
export interface RoundRecordView {
  readonly round: number;
  readonly attempts: number;
  readonly selected: readonly string[];
  readonly participants: readonly string[];
  readonly train: { readonly numExamples: number; readonly metrics: MetricValues };
  readonly serverEvaluation?: EvaluationSummary;
  readonly federatedEvaluation?: EvaluationSummary;
  readonly durations: { readonly totalMs: number };
  /** Runs with differential privacy: the epsilon spent after this round. */
  readonly privacy?: PrivacySpentView;
}

export interface PrivacySpentView {
  readonly epsilon: number;
  readonly delta: number;
  readonly budget?: { readonly epsilon: number; readonly delta: number };
}

export interface RunEvents {
  'run-started': {
    readonly config: unknown;
    readonly strategy: string;
    readonly startRound: number;
    readonly rounds: number;
    readonly numParameters: number;
    readonly availableClients: number;
    readonly startedAt: number;
  };
  'round-started': { readonly round: number; readonly attempt: number; readonly selected: readonly string[] };
  'client-result': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly numExamples?: number;
    readonly durationMs?: number;
  };
  'client-failed': {
    readonly round: number;
    readonly phase: string;
    readonly failure: { readonly clientId: string; readonly cause: string };
  };
  'round-retried': {
    readonly round: number;
    readonly attemptsLeft: number;
    readonly failed: { readonly reason: string };
  };
  'round-committed': { readonly record: RoundRecordView };
  'privacy-spent': PrivacySpentView & { readonly round: number; readonly mechanism: string };
  'run-finished': {
    readonly status: string;
    /** Why the run stopped early (e.g. its privacy budget was exhausted). */
    readonly reason?: string;
    readonly lastRound: number;
    readonly durationMs: number;
    readonly error?: { readonly code: string; readonly message: string };
  };
}

/**
 * Anything that emits the events `E` and returns an unsubscribe function from `on`: the engine's emitter, a client
 * pool's, an alert bus. Each subscriber names only the events and fields it reads.
 */
export interface EventSource<E> {
  on<K extends keyof E>(event: K, listener: (payload: E[K]) => void): () => void;
}

/** Anything that emits run events, e.g. `RoundEngine.events`. */
export type RunEventSource = EventSource<RunEvents>;

/** The metric a display shows for a round: server evaluation, else federated evaluation, else training metrics. */
export function headlineMetrics(record: RoundRecordView): {
  source: string;
  loss?: number;
  accuracy?: number;
  /** Accuracy of always predicting the majority class on the same rows (evaluations only). */
  majorityAccuracy?: number;
} {
  const evaluation = record.serverEvaluation ?? record.federatedEvaluation;
  if (evaluation) {
    const { accuracy, majorityAccuracy } = evaluation.metrics;
    return {
      source: record.serverEvaluation ? 'server' : 'federated',
      loss: evaluation.loss,
      ...(accuracy !== undefined ? { accuracy } : {}),
      ...(majorityAccuracy !== undefined ? { majorityAccuracy } : {}),
    };
  }
  const { metrics } = record.train;
  return {
    source: 'train',
    ...(metrics['loss'] !== undefined ? { loss: metrics['loss'] } : {}),
    ...(metrics['accuracy'] !== undefined ? { accuracy: metrics['accuracy'] } : {}),
  };
}

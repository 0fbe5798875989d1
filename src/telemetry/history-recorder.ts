/**
 * Builds the JSON history of a run from its events: run metadata, every committed round's full record, retries and
 * how the run ended. `json()` is what `flotilla simulate` writes next to its results and what runs are compared by.
 */
import type { PrivacySpentView, RoundRecordView, RunEventSource, RunEvents } from './run-events.js';

export interface RunHistory {
  readonly format: 'flotilla-run-history';
  readonly version: 1;
  /** Caller-supplied context (dataset, model, command line...). */
  readonly metadata: Readonly<Record<string, unknown>>;
  status: 'pending' | 'running' | 'completed' | 'aborted' | 'failed' | 'budget-exhausted';
  /** Why the run stopped early ('budget-exhausted'). */
  reason?: string;
  /** Differential privacy: spending after the last committed round (each round's record has its own). */
  privacy?: PrivacySpentView & { readonly round: number; readonly mechanism: string };
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  strategy?: string;
  config?: unknown;
  startRound?: number;
  /** Last round of the run as configured. */
  lastPlannedRound?: number;
  numParameters?: number;
  availableClients?: number;
  /** Full records of committed rounds, in order. */
  readonly rounds: RoundRecordView[];
  /** Failed attempts, as they happened (each also appears in its round's record once the round commits). */
  readonly retries: { round: number; reason: string }[];
  /** Counts of client failures by cause over the whole run, fit and evaluation. */
  readonly failureCauses: Record<string, number>;
  error?: { code: string; message: string };
}

export class HistoryRecorder {
  private readonly data: RunHistory;

  constructor(metadata: Readonly<Record<string, unknown>> = {}) {
    this.data = {
      format: 'flotilla-run-history',
      version: 1,
      metadata,
      status: 'pending',
      rounds: [],
      retries: [],
      failureCauses: {},
    };
  }

  /** Subscribes to a run's events; returns a function that unsubscribes. */
  attach(source: RunEventSource): () => void {
    const offs = [
      source.on('run-started', (e) => this.onStarted(e)),
      source.on('client-failed', (e) => {
        const cause = e.failure.cause;
        this.data.failureCauses[cause] = (this.data.failureCauses[cause] ?? 0) + 1;
      }),
      source.on('round-retried', (e) => this.data.retries.push({ round: e.round, reason: e.failed.reason })),
      source.on('round-committed', (e) => this.data.rounds.push(e.record)),
      source.on('privacy-spent', (e) => (this.data.privacy = { ...e })),
      source.on('run-finished', (e) => this.onFinished(e)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** The history so far (a live view: it keeps filling while the run goes on). */
  history(): Readonly<RunHistory> {
    return this.data;
  }

  /** Pretty-printed JSON; non-finite numbers (e.g. the loss of an evaluation nobody answered) become null. */
  json(): string {
    return JSON.stringify(this.data, null, 2);
  }

  private onStarted(e: RunEvents['run-started']): void {
    Object.assign(this.data, {
      status: 'running',
      startedAt: new Date(e.startedAt).toISOString(),
      strategy: e.strategy,
      config: e.config,
      startRound: e.startRound,
      lastPlannedRound: e.rounds,
      numParameters: e.numParameters,
      availableClients: e.availableClients,
    });
  }

  private onFinished(e: RunEvents['run-finished']): void {
    this.data.status =
      e.status === 'completed' || e.status === 'aborted' || e.status === 'budget-exhausted'
        ? e.status
        : 'failed';
    if (e.reason) this.data.reason = e.reason;
    this.data.finishedAt = new Date().toISOString();
    this.data.durationMs = e.durationMs;
    if (e.error) this.data.error = { ...e.error };
  }
}

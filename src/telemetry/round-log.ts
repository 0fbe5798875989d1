/**
 * Progress as log records for processes whose output is a log (`flotilla server` writes one JSON object per line):
 * one record per committed round with its headline metrics next to the majority-class baseline, the elapsed time and
 * an ETA from the rounds done so far. Callers add the timestamp and write the line.
 */
import { remainingMs } from './eta.js';
import { headlineMetrics, type RunEventSource } from './run-events.js';

export interface RoundLogRecord {
  readonly event: 'round-committed';
  readonly round: number;
  readonly rounds: number;
  readonly participants: number;
  readonly selected: number;
  /** Where loss and accuracy come from: 'server', 'federated' (mean of the clients' evaluations) or 'train'. */
  readonly source: string;
  readonly loss?: number;
  readonly accuracy?: number;
  readonly majorityAccuracy?: number;
  /** False when accuracy does not beat always predicting the majority class. */
  readonly beatsMajority?: boolean;
  readonly elapsedMs: number;
  /** Null until a round is done (JSON has no NaN). */
  readonly etaMs: number | null;
}

export function attachRoundLog(
  source: RunEventSource,
  write: (record: RoundLogRecord) => void,
  now: () => number = () => performance.now(),
): () => void {
  let start = now();
  let lastRound = 0;
  let committed = 0;
  const offs = [
    source.on('run-started', (e) => {
      start = now();
      lastRound = e.rounds;
      committed = 0;
    }),
    source.on('round-committed', ({ record }) => {
      committed++;
      const elapsedMs = now() - start;
      const eta = remainingMs(elapsedMs, committed, lastRound - record.round);
      const { source: from, loss, accuracy, majorityAccuracy } = headlineMetrics(record);
      write({
        event: 'round-committed',
        round: record.round,
        rounds: lastRound,
        participants: record.participants.length,
        selected: record.selected.length,
        source: from,
        ...(loss !== undefined ? { loss } : {}),
        ...(accuracy !== undefined ? { accuracy } : {}),
        ...(majorityAccuracy !== undefined ? { majorityAccuracy } : {}),
        ...(accuracy !== undefined && majorityAccuracy !== undefined
          ? { beatsMajority: accuracy > majorityAccuracy }
          : {}),
        elapsedMs: Math.round(elapsedMs),
        etaMs: Number.isFinite(eta) ? Math.round(eta) : null,
      });
    }),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * Reductions behind the dashboard's charts: a committed round's record to a RoundSummary, the per-client spread of
 * a metric, and the projection of the round at which a privacy budget runs out.
 */
import type { MetricValues } from '../../core/index.js';
import type { RoundSummary, Spread } from './dashboard-state.js';

/** The fields of a round record (the engine's RoundRecord, or one read back from storage) a summary reads. */
export interface RoundRecordLike {
  readonly round: number;
  readonly attempts?: number;
  readonly selected?: readonly string[];
  readonly participants?: readonly string[];
  readonly failures?: readonly unknown[];
  readonly train?: { readonly metrics?: MetricValues };
  readonly serverEvaluation?: { readonly loss: number; readonly metrics?: MetricValues };
  readonly federatedEvaluation?: { readonly loss: number; readonly metrics?: MetricValues };
  readonly durations?: { readonly totalMs?: number };
  readonly bytesSent?: number;
  readonly bytesReceived?: number;
  readonly privacy?: { readonly epsilon: number };
}

/** A finite number or nothing: JSON has no NaN, and a chart should show a gap, not a zero. */
function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

export function summarizeRound(
  record: RoundRecordLike,
  extra: { readonly committedAt?: number; readonly spread?: Readonly<Record<string, Spread>> } = {},
): RoundSummary {
  const evaluation = record.serverEvaluation ?? record.federatedEvaluation;
  const source = record.serverEvaluation ? 'server' : record.federatedEvaluation ? 'federated' : 'train';
  const train = record.train?.metrics ?? {};
  const metrics = evaluation?.metrics ?? train;
  const values = {
    loss: finite(evaluation ? evaluation.loss : train['loss']),
    accuracy: finite(metrics['accuracy']),
    aucRoc: finite(metrics['aucRoc']),
    trainLoss: finite(train['loss']),
    epsilon: finite(record.privacy?.epsilon),
  };
  return {
    round: record.round,
    ...(extra.committedAt !== undefined ? { committedAt: extra.committedAt } : {}),
    attempts: record.attempts ?? 1,
    selected: record.selected?.length ?? 0,
    participants: record.participants?.length ?? 0,
    failures: record.failures?.length ?? 0,
    source,
    ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)),
    ...(extra.spread && Object.keys(extra.spread).length > 0 ? { spread: extra.spread } : {}),
    bytesSent: record.bytesSent ?? 0,
    bytesReceived: record.bytesReceived ?? 0,
    totalMs: record.durations?.totalMs ?? 0,
  };
}

/** min / median / max of the finite values; undefined when there are none. */
export function spreadOf(values: readonly number[]): Spread | undefined {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]!, count: sorted.length };
}

/**
 * The round at which spending reaches `budget`, extrapolating linearly from the latest round's increment. Under
 * RDP composition epsilon grows more slowly than linearly in rounds, so the latest increment (rather than the mean
 * since round 1) is the better slope, and the projection errs early, never late. Undefined without two points or
 * without growth; the last round itself once the budget is spent.
 */
export function projectExhaustion(
  points: readonly { readonly round: number; readonly epsilon: number }[],
  budget: number,
): number | undefined {
  const last = points[points.length - 1];
  if (!last) return undefined;
  if (last.epsilon >= budget) return last.round;
  const previous = points[points.length - 2] ?? { round: 0, epsilon: 0 };
  const slope = (last.epsilon - previous.epsilon) / Math.max(1, last.round - previous.round);
  if (!(slope > 0)) return undefined;
  return last.round + Math.ceil((budget - last.epsilon) / slope);
}

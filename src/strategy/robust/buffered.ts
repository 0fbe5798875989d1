/**
 * The aggregator for rules that need every update of the round at once (median, trimmed mean, Krum, Bulyan,
 * centered clipping): they cannot stream, so it keeps a reference to each validated update (no copies) and hands
 * them to the rule at the end. Updates are ordered by client id before the rule sees them, so ties and summation
 * order do not depend on network arrival order and reruns give identical models.
 */
import type { MetricValues, ParameterSet } from '../../core/index.js';
import { RoundIntake, applyStep } from '../intake.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  RoundAggregator,
  RoundContext,
} from '../strategy.js';

/** Computes the step added to the global model from the round's updates (at least one, ordered by client id). */
export type BufferedRule = (updates: readonly Float32Array[]) => {
  readonly step: Float64Array | Float32Array;
  readonly metrics?: MetricValues;
};

export class BufferedAggregator implements RoundAggregator {
  private readonly intake: RoundIntake;
  private readonly buffered: { clientId: string; update: ParameterSet }[] = [];

  constructor(
    private readonly context: RoundContext,
    private readonly rule: BufferedRule,
  ) {
    this.intake = new RoundIntake(context);
  }

  add(result: ClientFitResult): void {
    this.intake.check(result);
    this.intake.record(result);
    this.buffered.push({ clientId: result.clientId, update: result.update });
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    this.intake.assertNotEmpty(failures);
    const ordered = [...this.buffered].sort((a, b) =>
      a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0,
    );
    const { step, metrics } = this.rule(ordered.map((b) => b.update.data));
    return {
      params: applyStep(this.context.global, step),
      metrics: { ...this.intake.metrics(), ...metrics },
    };
  }
}

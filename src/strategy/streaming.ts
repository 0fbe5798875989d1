/**
 * The aggregator shared by every rule that is linear in the updates (FedAvgM, FedOpt, q-FedAvg, norm bounding,
 * FedNova): each result is folded into a float64 running sum with a per-result coefficient and then dropped
 * (DESIGN principle 8), and the rule turns the sum into the step added to the global model at the end.
 */
import { FlotillaError, type MetricValues } from '../core/index.js';
import { RoundIntake, UpdateSum, applyStep } from './intake.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  RoundAggregator,
  RoundContext,
} from './strategy.js';

export interface StreamingRule {
  /** This result's coefficient in the running sum. May throw (naming the client) to reject the result. */
  coefficient(result: ClientFitResult): number;
  /** Turns sum_k coefficient_k * update_k into the step; called once, with at least one result folded in. */
  step(sum: UpdateSum): { readonly step: Float64Array | Float32Array; readonly metrics?: MetricValues };
}

export class StreamingAggregator implements RoundAggregator {
  private readonly intake: RoundIntake;
  private readonly sum: UpdateSum;

  constructor(
    private readonly context: RoundContext,
    private readonly rule: StreamingRule,
  ) {
    this.intake = new RoundIntake(context);
    this.sum = new UpdateSum(context.global.size);
  }

  add(result: ClientFitResult): void {
    this.intake.check(result);
    const coefficient = this.rule.coefficient(result);
    this.intake.record(result);
    this.sum.add(result.update, coefficient);
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    this.intake.assertNotEmpty(failures);
    const { step, metrics } = this.rule.step(this.sum);
    return {
      params: applyStep(this.context.global, step),
      metrics: { ...this.intake.metrics(), ...metrics },
    };
  }
}

/** Sum of aggregation weights: numExamples (weighted) or 1 per client; refuses an all-zero total. */
export class WeightTotal {
  private total = 0;

  constructor(
    private readonly weighted: boolean,
    private readonly round: number,
  ) {}

  /** Counts and returns the result's weight; call it last in `coefficient`, once nothing else can reject. */
  weightOf(result: ClientFitResult): number {
    const weight = this.weighted ? result.numExamples : 1;
    this.total += weight;
    return weight;
  }

  /** 1 / total weight, for turning a weighted sum into a weighted mean. */
  inverse(): number {
    if (!(this.total > 0)) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `round ${this.round}: the total aggregation weight is 0 (every client reported 0 examples)`,
      );
    }
    return 1 / this.total;
  }
}

/**
 * The aggregator of the rules that take a step from the weighted mean update (FedProx, FedAvgM, FedOpt): weights are
 * numExamples (or 1 each), and `toStep` turns the mean into the step added to the global model.
 */
export function meanUpdateAggregator(
  context: RoundContext,
  weighted: boolean,
  toStep: (mean: Float64Array) => Float64Array | Float32Array,
): StreamingAggregator {
  const weights = new WeightTotal(weighted, context.round);
  return new StreamingAggregator(context, {
    coefficient: (result) => weights.weightOf(result),
    step: (sum) => ({ step: toStep(sum.scaled(weights.inverse())) }),
  });
}

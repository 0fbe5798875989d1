import { FlotillaError } from './errors.js';
import { ParameterSet, type ParameterLayout } from './parameters.js';
import { RunningSum } from './running-sum.js';

/**
 * Streaming weighted mean: fold in one ParameterSet at a time, read the mean at the end. Its memory is one float64
 * vector of the model's size whatever the number of inputs, which is what lets the server aggregate thousands of
 * updates without holding them. Float64 accumulation keeps the sum of many float32 updates accurate.
 */
export class WeightedMeanAccumulator {
  readonly layout: ParameterLayout;
  private readonly sum: RunningSum;
  private weightSum = 0;
  private folded = 0;

  constructor(layout: ParameterLayout) {
    this.layout = layout;
    this.sum = new RunningSum(layout.totalSize);
  }

  /** Number of sets folded in so far. */
  get count(): number {
    return this.folded;
  }

  get totalWeight(): number {
    return this.weightSum;
  }

  /** Folds `values` in; throws NON_FINITE (leaving the sum as it was) if they hold NaN or an infinity. */
  add(values: ParameterSet, weight: number): void {
    const bad = this.addFinite(values, weight);
    if (bad >= 0) values.assertFinite('accumulated values');
  }

  /**
   * Like `add`, but refuses values holding NaN or an infinity: returns the index of the first one and leaves the
   * sum as it was (up to float64 rounding), or -1 once the values are folded in. One pass over the values where
   * the SIMD kernel is available, instead of a check pass and a fold pass.
   */
  addFinite(values: ParameterSet, weight: number): number {
    this.checkWeight(weight);
    this.layout.assertEquals(values.layout, 'accumulated update and model');
    const bad = this.sum.addFinite(values.data, weight);
    if (bad >= 0) return bad;
    this.weightSum += weight;
    this.folded += 1;
    return -1;
  }

  private checkWeight(weight: number): void {
    if (!Number.isFinite(weight) || weight < 0) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `aggregation weight must be finite and >= 0, got ${weight}`,
      );
    }
  }

  /** The weighted mean as a new ParameterSet. Throws when nothing (or only zero weight) was added. */
  mean(): ParameterSet {
    if (this.weightSum <= 0) {
      throw new FlotillaError('STRATEGY_FAILED', 'cannot take the mean of no updates (total weight is zero)');
    }
    const out = new ParameterSet(this.layout);
    const inv = 1 / this.weightSum;
    const s = this.sum.values;
    const o = out.data;
    for (let i = 0; i < s.length; i++) o[i] = s[i]! * inv;
    return out;
  }
}

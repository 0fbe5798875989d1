import { FlotillaError } from './errors.js';
import { ParameterSet, type ParameterLayout } from './parameters.js';

/**
 * Streaming weighted mean: fold in one ParameterSet at a time, read the mean at the end. Its memory is one float64
 * vector of the model's size whatever the number of inputs, which is what lets the server aggregate thousands of
 * updates without holding them. Float64 accumulation keeps the sum of many float32 updates accurate.
 */
export class WeightedMeanAccumulator {
  readonly layout: ParameterLayout;
  private readonly sum: Float64Array;
  private weightSum = 0;
  private folded = 0;

  constructor(layout: ParameterLayout) {
    this.layout = layout;
    this.sum = new Float64Array(layout.totalSize);
  }

  /** Number of sets folded in so far. */
  get count(): number {
    return this.folded;
  }

  get totalWeight(): number {
    return this.weightSum;
  }

  add(values: ParameterSet, weight: number): void {
    if (!Number.isFinite(weight) || weight < 0) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `aggregation weight must be finite and >= 0, got ${weight}`,
      );
    }
    this.layout.assertEquals(values.layout, 'accumulated update and model');
    const s = this.sum;
    const x = values.data;
    for (let i = 0; i < s.length; i++) s[i] = s[i]! + weight * x[i]!;
    this.weightSum += weight;
    this.folded += 1;
  }

  /** The weighted mean as a new ParameterSet. Throws when nothing (or only zero weight) was added. */
  mean(): ParameterSet {
    if (this.weightSum <= 0) {
      throw new FlotillaError('STRATEGY_FAILED', 'cannot take the mean of no updates (total weight is zero)');
    }
    const out = new ParameterSet(this.layout);
    const inv = 1 / this.weightSum;
    const s = this.sum;
    const o = out.data;
    for (let i = 0; i < s.length; i++) o[i] = s[i]! * inv;
    return out;
  }
}

/**
 * Coordinate-wise robust statistics over a round's updates (Yin, Chen, Ramchandran and Bartlett 2018,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates"): each coordinate is aggregated on
 * its own from the n clients' values at that coordinate.
 */
import { FlotillaError } from '../../core/index.js';
import { resolveParams, type ParamSpec } from '../params.js';
import { StateReader } from '../state.js';
import type { FitAssignment, RoundAggregator, RoundContext, Strategy, StrategyState } from '../strategy.js';
import { BufferedAggregator } from './buffered.js';

export const MEDIAN_PARAMS: readonly ParamSpec[] = [];

export const TRIMMED_MEAN_PARAMS: readonly ParamSpec[] = [
  {
    name: 'beta',
    type: 'number',
    default: 0.1,
    min: 0,
    max: 0.5,
    description: 'fraction trimmed from each end: floor(beta * n) largest and smallest values per coordinate',
  },
];

/**
 * Calls `reduce` with the sorted values of each coordinate and stores its result. One scratch column is reused, so
 * the extra memory is n numbers plus the output.
 */
export function reduceSortedColumns(
  updates: readonly Float32Array[],
  reduce: (sorted: Float64Array) => number,
): Float64Array {
  const n = updates.length;
  const size = updates[0]?.length ?? 0;
  const out = new Float64Array(size);
  const column = new Float64Array(n);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < n; k++) column[k] = updates[k]![i]!;
    column.sort();
    out[i] = reduce(column);
  }
  return out;
}

/** The median of sorted values; for an even count, the mean of the two middle values. */
export function sortedMedian(sorted: Float64Array): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function coordinateMedian(updates: readonly Float32Array[]): Float64Array {
  return reduceSortedColumns(updates, sortedMedian);
}

/**
 * Coordinate-wise trimmed mean: drops the floor(trimFraction * n) largest and as many smallest values of each
 * coordinate and averages the rest. Refuses (STRATEGY_FAILED) when nothing would remain.
 */
export function trimmedMean(updates: readonly Float32Array[], trimFraction: number): Float64Array {
  const n = updates.length;
  const trim = Math.floor(trimFraction * n);
  const kept = n - 2 * trim;
  if (kept < 1) {
    throw new FlotillaError(
      'STRATEGY_FAILED',
      `trimmed mean with trim fraction ${trimFraction} removes ${trim} of ${n} values from each end, leaving none`,
    );
  }
  return reduceSortedColumns(updates, (sorted) => {
    let sum = 0;
    for (let k = trim; k < n - trim; k++) sum += sorted[k]!;
    return sum / kept;
  });
}

/**
 * The coordinate-wise median of the updates (Yin et al. 2018).
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new CoordinateMedian() });
 * ```
 */
export class CoordinateMedian implements Strategy {
  readonly name = 'median';

  constructor(options: object = {}) {
    resolveParams(this.name, MEDIAN_PARAMS, options);
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new BufferedAggregator(context, (updates) => ({ step: coordinateMedian(updates) }));
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: {} }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore; only check the state is ours.
    new StateReader(state, this.name);
  }
}

/**
 * Options of {@link TrimmedMean}: beta, the fraction trimmed at each end.
 * @example
 * ```ts
 * const strategy = new TrimmedMean({ beta: 0.1 } satisfies TrimmedMeanOptions);
 * ```
 */
export interface TrimmedMeanOptions {
  readonly beta?: number;
}

/**
 * The coordinate-wise trimmed mean of the updates (Yin et al. 2018).
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new TrimmedMean({ beta: 0.1 }) });
 * ```
 */
export class TrimmedMean implements Strategy {
  readonly name = 'trimmed-mean';
  private readonly beta: number;

  constructor(options: TrimmedMeanOptions = {}) {
    this.beta = resolveParams(this.name, TRIMMED_MEAN_PARAMS, options).number('beta');
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new BufferedAggregator(context, (updates) => ({ step: trimmedMean(updates, this.beta) }));
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: { beta: this.beta } }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore; only check the state is ours.
    new StateReader(state, this.name);
  }
}

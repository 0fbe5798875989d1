/**
 * Bulyan (El Mhamdi, Guerraoui and Rouault 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium").
 * With n >= 4f + 3 updates:
 *  1. select theta = n - 2f updates by iterated Krum: score the remaining candidates against each other, move the
 *     best one into the selection, repeat;
 *  2. for each coordinate, average the beta = theta - 2f selected values closest to their median.
 * Krum's score counts (candidates - f - 2) neighbours, which drops below one in the last iterations (the paper does
 * not say what to do there); we keep at least one neighbour so the score still ranks by closeness. Ties go to the
 * earlier update in client-id order.
 */
import { FlotillaError } from '../../core/index.js';
import { resolveParams, type ParamSpec } from '../params.js';
import { StateReader } from '../state.js';
import type {
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from '../strategy.js';
import { BufferedAggregator } from './buffered.js';
import { reduceSortedColumns, sortedMedian } from './coordinate.js';
import { pairwiseSquaredDistances } from './distances.js';
import { krumScores, lowestScores } from './krum.js';

/** Indices of the theta updates chosen by iterated Krum, in the order chosen. */
export function iteratedKrum(updates: readonly Float32Array[], f: number, theta: number): number[] {
  const n = updates.length;
  const distances = pairwiseSquaredDistances(updates);
  const remaining = updates.map((_, i) => i);
  const chosen: number[] = [];
  while (chosen.length < theta) {
    const neighbours = Math.min(remaining.length - 1, Math.max(1, remaining.length - f - 2));
    const best = lowestScores(krumScores(distances, n, remaining, neighbours), 1)[0]!;
    chosen.push(remaining[best]!);
    remaining.splice(best, 1);
  }
  return chosen;
}

/**
 * Mean of the `keep` sorted values closest to their median. Those form a contiguous run around the middle, grown
 * one value at a time towards the closer side (the lower side on a tie).
 */
export function meanAroundMedian(sorted: Float64Array, keep: number): number {
  const median = sortedMedian(sorted);
  let below = (sorted.length - 1) >> 1; // next candidate at or below the median
  let above = below + 1; // next candidate above it
  let sum = 0;
  for (let taken = 0; taken < keep; taken++) {
    const takeBelow =
      above >= sorted.length || (below >= 0 && median - sorted[below]! <= sorted[above]! - median);
    sum += takeBelow ? sorted[below--]! : sorted[above++]!;
  }
  return sum / keep;
}

export function bulyan(updates: readonly Float32Array[], f: number): Float64Array {
  const n = updates.length;
  if (n < 4 * f + 3) {
    throw new FlotillaError(
      'STRATEGY_FAILED',
      `bulyan with f = ${f} needs at least 4f + 3 = ${4 * f + 3} updates, got ${n}`,
    );
  }
  const theta = n - 2 * f;
  const selected = iteratedKrum(updates, f, theta).map((i) => updates[i]!);
  return reduceSortedColumns(selected, (sorted) => meanAroundMedian(sorted, theta - 2 * f));
}

export const BULYAN_PARAMS: readonly ParamSpec[] = [
  {
    name: 'f',
    type: 'integer',
    min: 0,
    description: 'number of Byzantine clients to tolerate; a round needs at least 4f + 3 updates',
  },
];

/**
 * Options of {@link Bulyan}.
 * @example
 * ```ts
 * const strategy = new Bulyan({ f: 1 } satisfies BulyanOptions);
 * ```
 */
export interface BulyanOptions {
  readonly f: number;
}

/**
 * Bulyan (El Mhamdi et al. 2018): iterated Krum, then a coordinate-wise trimmed mean around the median.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new Bulyan({ f: 1 }) });
 * ```
 */
export class Bulyan implements Strategy {
  readonly name = 'bulyan';
  readonly requires: StrategyRequirements;
  private readonly f: number;

  constructor(options: BulyanOptions) {
    this.f = resolveParams(this.name, BULYAN_PARAMS, options).number('f');
    const count = 4 * this.f + 3;
    this.requires = { minUpdates: { count, rule: `at least 4f + 3 = ${count} with f = ${this.f}` } };
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new BufferedAggregator(context, (updates) => ({ step: bulyan(updates, this.f) }));
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: { f: this.f } }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore; only check the state is ours.
    new StateReader(state, this.name);
  }
}

/**
 * Krum and Multi-Krum (Blanchard, El Mhamdi, Guerraoui and Stainer 2017, "Machine Learning with Adversaries:
 * Byzantine Tolerant Gradient Descent"). With n updates of which at most f are Byzantine, each update's score is
 * the sum of its squared distances to its n - f - 2 nearest other updates; Krum keeps the update with the lowest
 * score, Multi-Krum averages the m lowest. The guarantee needs n > 2f + 2, so smaller rounds are refused.
 * Equal scores are broken by position (updates arrive ordered by client id), so the choice is reproducible.
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
import { pairwiseSquaredDistances } from './distances.js';

/**
 * Krum scores of `members` (indices into the n x n `distances`), each against the other members only, with
 * `neighbours` nearest others counted.
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  members: readonly number[],
  neighbours: number,
): number[] {
  const row = new Float64Array(members.length - 1);
  return members.map((i) => {
    let k = 0;
    for (const j of members) if (j !== i) row[k++] = distances[i * n + j]!;
    row.sort();
    let score = 0;
    for (let t = 0; t < neighbours; t++) score += row[t]!;
    return score;
  });
}

/** Positions (into `scores`) of the `count` lowest scores, lowest first; ties go to the earlier position. */
export function lowestScores(scores: readonly number[], count: number): number[] {
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, count)
    .map((s) => s.index);
}

/** Refuses rounds too small for Krum's guarantee: n must exceed 2f + 2. */
export function assertKrumSize(rule: string, n: number, f: number): void {
  if (n <= 2 * f + 2) {
    throw new FlotillaError(
      'STRATEGY_FAILED',
      `${rule} with f = ${f} needs more than 2f + 2 = ${2 * f + 2} updates, got ${n}`,
    );
  }
}

/** Indices of the Multi-Krum selection (one index for Krum). */
export function multiKrumSelect(updates: readonly Float32Array[], f: number, m: number): number[] {
  const n = updates.length;
  const members = updates.map((_, i) => i);
  const scores = krumScores(pairwiseSquaredDistances(updates), n, members, n - f - 2);
  return lowestScores(scores, m);
}

/** Unweighted mean of the selected updates, in float64. */
export function meanOf(updates: readonly Float32Array[], selected: readonly number[]): Float64Array {
  const out = new Float64Array(updates[0]!.length);
  for (const index of selected) {
    const x = updates[index]!;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + x[i]!;
  }
  const inv = 1 / selected.length;
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * inv;
  return out;
}

const F_PARAM: ParamSpec = {
  name: 'f',
  type: 'integer',
  min: 0,
  description: 'number of Byzantine clients to tolerate; a round needs more than 2f + 2 updates',
};

export const KRUM_PARAMS: readonly ParamSpec[] = [F_PARAM];

export const MULTI_KRUM_PARAMS: readonly ParamSpec[] = [
  F_PARAM,
  {
    name: 'm',
    type: 'integer',
    min: 1,
    defaultText: 'n - f',
    description: 'number of lowest-score updates averaged (at most the round size n)',
  },
];

/**
 * Options of {@link Krum}: f, the number of Byzantine clients to tolerate.
 * @example
 * ```ts
 * const strategy = new Krum({ f: 1 } satisfies KrumOptions);
 * ```
 */
export interface KrumOptions {
  readonly f: number;
}

export interface MultiKrumOptions {
  readonly f: number;
  /** Default: n - f for a round of n updates. */
  readonly m?: number;
}

/**
 * Krum and Multi-Krum (Blanchard et al. 2017): keeps the update(s) closest to their n - f - 2 nearest
 * neighbours, tolerating f Byzantine clients.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new Krum({ f: 1 }) });
 * ```
 */
export class Krum implements Strategy {
  readonly name: 'krum' | 'multi-krum';
  readonly requires: StrategyRequirements;
  private readonly f: number;
  private readonly m: number | undefined;

  /** Krum when `multi` is false (one update kept), Multi-Krum otherwise. */
  constructor(options: KrumOptions | MultiKrumOptions, multi = false) {
    this.name = multi ? 'multi-krum' : 'krum';
    const p = resolveParams(this.name, multi ? MULTI_KRUM_PARAMS : KRUM_PARAMS, options);
    this.f = p.number('f');
    this.m = multi ? p.optionalNumber('m') : 1;
    const bound = 2 * this.f + 3;
    this.requires = {
      minUpdates:
        this.m !== undefined && this.m > bound
          ? { count: this.m, rule: `m = ${this.m} of them to average` }
          : { count: bound, rule: `more than 2f + 2 = ${bound - 1} with f = ${this.f}` },
    };
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new BufferedAggregator(context, (updates) => {
      const n = updates.length;
      assertKrumSize(this.name, n, this.f);
      const m = this.m ?? n - this.f;
      if (m > n) {
        throw new FlotillaError('STRATEGY_FAILED', `multi-krum cannot average m = ${m} of only ${n} updates`);
      }
      const selected = multiKrumSelect(updates, this.f, m);
      return { step: meanOf(updates, selected), metrics: { selectedUpdates: selected.length } };
    });
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: { f: this.f, m: this.m ?? null } }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore; only check the state is ours.
    new StateReader(state, this.name);
  }
}

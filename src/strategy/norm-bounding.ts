/**
 * Norm bounding (Sun, Kairouz, Suresh and McMahan 2019, "Can You Really Backdoor Federated Learning?"): each update
 * is scaled to an L2 norm of at most `normBound`, u_k <- u_k * min(1, normBound / ||u_k||), and the clipped updates
 * are averaged as in FedAvg. The clip is applied as a coefficient while folding, so updates are neither copied nor
 * modified and the rule streams.
 */
import { l2Norm } from '../core/index.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { StreamingAggregator, WeightTotal } from './streaming.js';
import type { FitAssignment, RoundAggregator, RoundContext, Strategy, StrategyState } from './strategy.js';

export const NORM_BOUNDING_PARAMS: readonly ParamSpec[] = [
  {
    name: 'normBound',
    type: 'number',
    min: 0,
    minExclusive: true,
    description: 'largest L2 norm an update may have; longer updates are scaled down to it',
  },
  { name: 'weighted', type: 'boolean', default: true, description: 'weight updates by number of examples' },
];

/**
 * Options of {@link NormBounding}.
 * @example
 * ```ts
 * const strategy = new NormBounding({ normBound: 5 } satisfies NormBoundingOptions);
 * ```
 */
export interface NormBoundingOptions {
  readonly normBound: number;
  readonly weighted?: boolean;
}

/**
 * Norm bounding (Sun et al. 2019): clips every update to an L2 bound before FedAvg, limiting what one client
 * can move.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new NormBounding({ normBound: 5 }) });
 * ```
 */
export class NormBounding implements Strategy {
  readonly name = 'norm-bounding';
  private readonly normBound: number;
  private readonly weighted: boolean;

  constructor(options: NormBoundingOptions) {
    const p = resolveParams(this.name, NORM_BOUNDING_PARAMS, options);
    this.normBound = p.number('normBound');
    this.weighted = p.boolean('weighted');
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    const weights = new WeightTotal(this.weighted, context.round);
    let clipped = 0;
    return new StreamingAggregator(context, {
      coefficient: (result) => {
        const norm = l2Norm(result.update);
        const factor = norm > this.normBound ? this.normBound / norm : 1;
        if (factor < 1) clipped += 1;
        return weights.weightOf(result) * factor;
      },
      step: (sum) => ({ step: sum.scaled(weights.inverse()), metrics: { clippedUpdates: clipped } }),
    });
  }

  saveState(): StrategyState {
    return {
      json: { strategy: this.name, params: { normBound: this.normBound, weighted: this.weighted } },
      tensors: {},
    };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore; only check the state is ours.
    new StateReader(state, this.name);
  }
}

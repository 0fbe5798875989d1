/**
 * FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): every client minimizes its loss plus
 * mu/2 ||w - w_global||^2, which keeps local models near the global one when data is heterogeneous. The term lives in
 * the client's trainer (FitConfig.proximalMu, see ml/trainer.ts), not on the server; the server aggregates exactly
 * like FedAvg.
 */
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { meanUpdateAggregator } from './streaming.js';
import type {
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from './strategy.js';

export const FEDPROX_PARAMS: readonly ParamSpec[] = [
  {
    name: 'mu',
    type: 'number',
    default: 0.01,
    min: 0,
    description: 'proximal coefficient: clients add mu/2 ||w - w_global||^2 to their loss (0 is FedAvg)',
  },
  { name: 'weighted', type: 'boolean', default: true, description: 'weight updates by number of examples' },
];

/** The proximal term is added to every local gradient, which DP-SGD's clipped per-example steps do not carry. */
export const FEDPROX_REQUIRES: StrategyRequirements = { gradientTerm: 'its proximal term' };

/**
 * Options of {@link FedProx}.
 * @example
 * ```ts
 * const strategy = new FedProx({ mu: 0.01 } satisfies FedProxOptions);
 * ```
 */
export interface FedProxOptions {
  readonly mu?: number;
  readonly weighted?: boolean;
}

/**
 * FedProx (Li et al. 2020): FedAvg whose clients add the proximal term mu/2 ||w - w_global||^2 to their loss.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new FedProx({ mu: 0.01 }) });
 * ```
 */
export class FedProx implements Strategy {
  readonly name = 'fedprox';
  readonly mu: number;
  readonly meanUpdate: { readonly weighted: boolean };
  /** mu = 0 adds no term, so it assumes nothing. */
  readonly requires: StrategyRequirements;
  private readonly weighted: boolean;

  constructor(options: FedProxOptions = {}) {
    const p = resolveParams(this.name, FEDPROX_PARAMS, options);
    this.mu = p.number('mu');
    this.requires = this.mu > 0 ? FEDPROX_REQUIRES : {};
    this.weighted = p.boolean('weighted');
    this.meanUpdate = { weighted: this.weighted };
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return proposals.map((a) => ({ ...a, config: { ...a.config, proximalMu: this.mu } }));
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return meanUpdateAggregator(context, this.weighted, (mean) => mean);
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: { mu: this.mu, weighted: this.weighted } }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Stateless between rounds; only check the state is ours.
    new StateReader(state, this.name);
  }
}

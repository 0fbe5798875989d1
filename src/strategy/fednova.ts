/**
 * FedNova (Wang et al. 2020, "Tackling the Objective Inconsistency Problem in Heterogeneous Federated
 * Optimization"): clients that take more local steps move further, and plain averaging then drifts towards their
 * optimum. FedNova averages normalized updates instead. Client i's update after tau_i local steps is
 * u_i = -lr sum_k a_ik g_ik, a weighted sum of its gradients; with p_i = n_i / n the server applies
 *   tau_eff = sum_i p_i ||a_i||_1        x <- x + tau_eff * sum_i p_i u_i / ||a_i||_1
 * (the paper's eq. 7). Plain local SGD has a_i = [1, ..., 1], so ||a_i||_1 = tau_i. Heavy-ball momentum rho
 * (v <- rho v + g, w <- w - lr v, started at v = 0 every round as the trainer does) weighs gradient k of tau by
 * (1 - rho^(tau - k)) / (1 - rho), so
 *   ||a_i||_1 = [tau_i - rho (1 - rho^tau_i) / (1 - rho)] / (1 - rho)        (Wang et al. 2020, Section 5)
 * read from each client's configured momentum. Adam's steps are no weighted sum of gradients with one a_i, so the
 * engine refuses FedNova with Adam. Linear in the updates, so it streams.
 *
 * Heterogeneous local work: with `minLocalEpochs` and `maxLocalEpochs` set, configureFit gives every selected client
 * a number of local epochs drawn uniformly from that range, seeded by the run, the round and the client.
 */
import { FlotillaError } from '../core/index.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { StreamingAggregator } from './streaming.js';
import type {
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from './strategy.js';

/** Normalizing by ||a_i||_1 needs SGD steps (momentum is in the formula); Adam has no such a_i. */
export const FEDNOVA_REQUIRES: StrategyRequirements = {
  localSgd: { momentum: true, uses: 'its normalizer ||a_i||_1 of the local steps' },
};

/** ||a||_1 for tau heavy-ball steps with momentum rho from v = 0; tau itself for plain SGD (rho = 0). */
export function stepNormalizer(tau: number, rho: number): number {
  if (rho === 0) return tau;
  return (tau - (rho * (1 - Math.pow(rho, tau))) / (1 - rho)) / (1 - rho);
}

export const FEDNOVA_PARAMS: readonly ParamSpec[] = [
  {
    name: 'minLocalEpochs',
    type: 'integer',
    defaultText: "the run's localEpochs",
    min: 1,
    description: 'lower end of the per-client random range of local epochs (set with maxLocalEpochs)',
  },
  {
    name: 'maxLocalEpochs',
    type: 'integer',
    defaultText: "the run's localEpochs",
    min: 1,
    description: 'upper end of the per-client random range of local epochs (set with minLocalEpochs)',
  },
];

/**
 * Options of {@link FedNova}.
 * @example
 * ```ts
 * const strategy = new FedNova({ minLocalEpochs: 1, maxLocalEpochs: 5 } satisfies FedNovaOptions);
 * ```
 */
export interface FedNovaOptions {
  readonly minLocalEpochs?: number;
  readonly maxLocalEpochs?: number;
}

/**
 * FedNova (Wang et al. 2020): normalizes each update by its number of local steps before averaging.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new FedNova() });
 * ```
 */
export class FedNova implements Strategy {
  readonly name = 'fednova';
  readonly requires = FEDNOVA_REQUIRES;
  private readonly range: { min: number; max: number } | undefined;
  /** Each configured client's local momentum, for the round configureFit last saw. */
  private configured: { round: number; momentum: Map<string, number> } | undefined;

  constructor(options: FedNovaOptions = {}) {
    const p = resolveParams(this.name, FEDNOVA_PARAMS, options);
    const min = p.optionalNumber('minLocalEpochs');
    const max = p.optionalNumber('maxLocalEpochs');
    if ((min === undefined) !== (max === undefined) || (min !== undefined && max! < min)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `strategy "fednova": minLocalEpochs and maxLocalEpochs go together with min <= max, got ${min} and ${max}`,
        { key: min === undefined ? 'minLocalEpochs' : 'maxLocalEpochs' },
      );
    }
    this.range = min === undefined ? undefined : { min, max: max! };
  }

  configureFit(context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    const momentum = new Map(proposals.map((a) => [a.clientId, a.config.momentum] as const));
    this.configured = { round: context.round, momentum };
    const range = this.range;
    if (!range) return [...proposals];
    return proposals.map((a) => {
      const localEpochs =
        range.min + context.rng.split('local-epochs', a.clientId).nextInt(range.max - range.min + 1);
      return { ...a, config: { ...a.config, localEpochs } };
    });
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    if (this.configured?.round !== context.round) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `FedNova: configureFit was not called for round ${context.round} (it reads the clients' momentum)`,
      );
    }
    const momentum = this.configured.momentum;
    let examples = 0;
    let weightedSteps = 0;
    return new StreamingAggregator(context, {
      coefficient: (result) => {
        const tau = result.localSteps;
        if (!(Number.isSafeInteger(tau) && tau > 0)) {
          throw new FlotillaError(
            'STRATEGY_FAILED',
            `FedNova: client "${result.clientId}" reported ${tau} local steps; normalized averaging needs at least 1`,
            { clientId: result.clientId },
          );
        }
        const rho = momentum.get(result.clientId);
        if (rho === undefined) {
          throw new FlotillaError(
            'STRATEGY_FAILED',
            `FedNova: client "${result.clientId}" was not configured for round ${context.round}`,
            { clientId: result.clientId },
          );
        }
        const norm = stepNormalizer(tau, rho);
        examples += result.numExamples;
        weightedSteps += result.numExamples * norm;
        return result.numExamples / norm;
      },
      step: (sum) => {
        // sum = sum_i n_i u_i / |a_i|; tau_eff * sum_i p_i u_i / |a_i| = (weightedSteps / n) * sum / n.
        if (examples === 0) {
          throw new FlotillaError(
            'STRATEGY_FAILED',
            `round ${context.round}: every client reported 0 examples`,
          );
        }
        const tauEff = weightedSteps / examples;
        return { step: sum.scaled(tauEff / examples), metrics: { tauEff } };
      },
    });
  }

  saveState(): StrategyState {
    return {
      json: { strategy: this.name, params: { ...(this.range ? { localEpochs: this.range } : {}) } },
      tensors: {},
    };
  }

  loadState(state: StrategyState): void {
    new StateReader(state, this.name);
  }
}

/**
 * FedNova (Wang et al. 2020, "Tackling the Objective Inconsistency Problem in Heterogeneous Federated
 * Optimization"): clients that take more local steps move further, and plain averaging then drifts towards their
 * optimum. FedNova averages normalized updates instead. With p_i = n_i / n, tau_i client i's local SGD steps and
 * u_i its update (trained - global):
 *   tau_eff = sum_i p_i tau_i        x <- x + tau_eff * sum_i p_i u_i / tau_i
 * (the paper's a_i = [1, ..., 1], ||a_i||_1 = tau_i: plain local SGD; with local momentum the normalizer differs and
 * this is an approximation). Linear in the updates, so it streams.
 *
 * Heterogeneous local work: with `minLocalEpochs` and `maxLocalEpochs` set, configureFit gives every selected client
 * a number of local epochs drawn uniformly from that range, seeded by the run, the round and the client.
 */
import { FlotillaError } from '../core/index.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { StreamingAggregator } from './streaming.js';
import type { FitAssignment, RoundAggregator, RoundContext, Strategy, StrategyState } from './strategy.js';

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

export interface FedNovaOptions {
  readonly minLocalEpochs?: number;
  readonly maxLocalEpochs?: number;
}

export class FedNova implements Strategy {
  readonly name = 'fednova';
  private readonly range: { min: number; max: number } | undefined;

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
    const range = this.range;
    if (!range) return [...proposals];
    return proposals.map((a) => {
      const localEpochs =
        range.min + context.rng.split('local-epochs', a.clientId).nextInt(range.max - range.min + 1);
      return { ...a, config: { ...a.config, localEpochs } };
    });
  }

  beginAggregation(context: RoundContext): RoundAggregator {
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
        examples += result.numExamples;
        weightedSteps += result.numExamples * tau;
        return result.numExamples / tau;
      },
      step: (sum) => {
        // sum = sum_i n_i u_i / tau_i; tau_eff * sum_i p_i u_i / tau_i = (weightedSteps / n) * sum / n.
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

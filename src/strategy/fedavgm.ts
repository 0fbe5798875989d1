/**
 * FedAvgM: FedAvg with server momentum (Hsu, Qi and Brown 2019, "Measuring the Effects of Non-Identical Data
 * Distribution for Federated Visual Classification"). With client updates expressed as deltas (trained minus
 * global), the server keeps a velocity v and applies
 *   v <- beta * v + mean_k(update_k)        w <- w + serverLearningRate * v
 * (the paper writes the same with the opposite sign convention). beta = 0 and serverLearningRate = 1 is FedAvg.
 * The mean is folded in as results arrive; the velocity is checkpointed with saveState.
 */
import type { ParameterSet } from '../core/index.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { meanUpdateAggregator } from './streaming.js';
import type { FitAssignment, RoundAggregator, RoundContext, Strategy, StrategyState } from './strategy.js';

export const FEDAVGM_PARAMS: readonly ParamSpec[] = [
  {
    name: 'serverLearningRate',
    type: 'number',
    default: 1,
    min: 0,
    minExclusive: true,
    description: 'server step size: w <- w + serverLearningRate * v',
  },
  {
    name: 'momentum',
    type: 'number',
    default: 0.9,
    min: 0,
    max: 1,
    maxExclusive: true,
    description: 'server momentum beta: v <- beta * v + mean update',
  },
  { name: 'weighted', type: 'boolean', default: true, description: 'weight updates by number of examples' },
];

/**
 * Options of {@link FedAvgM}.
 * @example
 * ```ts
 * const strategy = new FedAvgM({ serverLearningRate: 1, momentum: 0.9 } satisfies FedAvgMOptions);
 * ```
 */
export interface FedAvgMOptions {
  readonly serverLearningRate?: number;
  readonly momentum?: number;
  readonly weighted?: boolean;
}

/**
 * FedAvgM (Hsu et al. 2019): FedAvg with server-side momentum on the mean update.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new FedAvgM({ momentum: 0.9 }) });
 * ```
 */
export class FedAvgM implements Strategy {
  readonly name = 'fedavgm';
  private readonly learningRate: number;
  private readonly momentum: number;
  readonly meanUpdate: { readonly weighted: boolean };
  private readonly weighted: boolean;
  /** Undefined until the first aggregation, when the model's layout becomes known. */
  private velocity: ParameterSet | undefined;
  private steps = 0;

  constructor(options: FedAvgMOptions = {}) {
    const p = resolveParams(this.name, FEDAVGM_PARAMS, options);
    this.learningRate = p.number('serverLearningRate');
    this.momentum = p.number('momentum');
    this.weighted = p.boolean('weighted');
    this.meanUpdate = { weighted: this.weighted };
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return meanUpdateAggregator(context, this.weighted, (mean) => this.momentumStep(context.global, mean));
  }

  /** Advances the velocity with this round's mean update and returns the step serverLearningRate * v. */
  private momentumStep(global: ParameterSet, mean: Float64Array): Float64Array {
    const previous = this.velocity ?? global.zerosLike();
    global.layout.assertEquals(previous.layout, 'FedAvgM velocity and global model');
    const velocity = previous.zerosLike();
    const step = new Float64Array(mean.length);
    const v0 = previous.data;
    const v = velocity.data;
    for (let i = 0; i < v.length; i++) {
      v[i] = this.momentum * v0[i]! + mean[i]!;
      // Step from the stored float32 velocity so a restored server computes exactly the same steps.
      step[i] = this.learningRate * v[i]!;
    }
    this.velocity = velocity;
    this.steps += 1;
    return step;
  }

  saveState(): StrategyState {
    return {
      json: {
        strategy: this.name,
        steps: this.steps,
        params: { serverLearningRate: this.learningRate, momentum: this.momentum, weighted: this.weighted },
      },
      tensors: this.velocity ? { velocity: this.velocity.clone() } : {},
    };
  }

  loadState(state: StrategyState): void {
    const { steps, tensors } = new StateReader(state, this.name).progress(['velocity']);
    this.steps = steps;
    this.velocity = tensors?.[0];
  }
}

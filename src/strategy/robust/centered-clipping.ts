/**
 * Centered clipping (Karimireddy, He and Jaggi 2021, "Learning from History for Byzantine Robust Optimization").
 * Starting from the previous round's aggregate v (zero before the first round), it iterates
 *   v <- v + (1/n) sum_i clip(x_i - v, tau),   clip(z, tau) = z * min(1, tau / ||z||)
 * `iterations` times over the round's updates x_i, and v is the aggregated update. An outlier can move v by at
 * most tau / n per iteration, however far away it is.
 * The paper applies this to client momentum vectors; here the inputs are the clients' model deltas as sent (the
 * momentum-free variant). The previous aggregate is checkpointed with saveState.
 */
import { ParameterSet } from '../../core/index.js';
import { resolveParams, type ParamSpec } from '../params.js';
import { StateReader } from '../state.js';
import type { FitAssignment, RoundAggregator, RoundContext, Strategy, StrategyState } from '../strategy.js';
import { BufferedAggregator } from './buffered.js';

/**
 * Runs the centered-clipping iterations from `start` (not modified); returns the final center and how many
 * updates were clipped in the last iteration.
 */
export function centeredClip(
  updates: readonly Float32Array[],
  start: Float32Array,
  tau: number,
  iterations: number,
): { center: Float64Array; clipped: number } {
  const n = updates.length;
  const center = Float64Array.from(start);
  const sum = new Float64Array(center.length);
  let clipped = 0;
  for (let iteration = 0; iteration < iterations; iteration++) {
    sum.fill(0);
    clipped = 0;
    for (const x of updates) {
      let normSquared = 0;
      for (let k = 0; k < center.length; k++) {
        const d = x[k]! - center[k]!;
        normSquared += d * d;
      }
      const norm = Math.sqrt(normSquared);
      const factor = norm > tau ? tau / norm : 1;
      if (factor < 1) clipped += 1;
      for (let k = 0; k < center.length; k++) sum[k] = sum[k]! + factor * (x[k]! - center[k]!);
    }
    for (let k = 0; k < center.length; k++) center[k] = center[k]! + sum[k]! / n;
  }
  return { center, clipped };
}

export const CENTERED_CLIPPING_PARAMS: readonly ParamSpec[] = [
  {
    name: 'tau',
    type: 'number',
    min: 0,
    minExclusive: true,
    description: 'clipping radius around the current center',
  },
  {
    name: 'iterations',
    type: 'integer',
    default: 1,
    min: 1,
    description: 'clipping iterations per round (the paper finds one is usually enough)',
  },
];

/**
 * Options of {@link CenteredClipping}.
 * @example
 * ```ts
 * const strategy = new CenteredClipping({ tau: 1 } satisfies CenteredClippingOptions);
 * ```
 */
export interface CenteredClippingOptions {
  readonly tau: number;
  readonly iterations?: number;
}

/**
 * Centered clipping (Karimireddy et al. 2021): clips each update around the previous aggregate.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new CenteredClipping({ tau: 1 }) });
 * ```
 */
export class CenteredClipping implements Strategy {
  readonly name = 'centered-clipping';
  private readonly tau: number;
  private readonly iterations: number;
  /** The previous round's aggregated update; undefined before the first round. */
  private previous: ParameterSet | undefined;
  private steps = 0;

  constructor(options: CenteredClippingOptions) {
    const p = resolveParams(this.name, CENTERED_CLIPPING_PARAMS, options);
    this.tau = p.number('tau');
    this.iterations = p.number('iterations');
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    const global = context.global;
    return new BufferedAggregator(context, (updates) => {
      const start = this.previous ?? global.zerosLike();
      global.layout.assertEquals(start.layout, 'centered-clipping state and global model');
      const { center, clipped } = centeredClip(updates, start.data, this.tau, this.iterations);
      // Keep the float32 aggregate as both the step and the next start, so a restored server continues exactly.
      const aggregate = new ParameterSet(global.layout, Float32Array.from(center));
      this.previous = aggregate;
      this.steps += 1;
      return { step: aggregate.data, metrics: { clippedUpdates: clipped } };
    });
  }

  saveState(): StrategyState {
    return {
      json: {
        strategy: this.name,
        steps: this.steps,
        params: { tau: this.tau, iterations: this.iterations },
      },
      tensors: this.previous ? { previous: this.previous.clone() } : {},
    };
  }

  loadState(state: StrategyState): void {
    const { steps, tensors } = new StateReader(state, this.name).progress(['previous']);
    this.steps = steps;
    this.previous = tensors?.[0];
  }
}

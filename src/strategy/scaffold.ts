/**
 * SCAFFOLD (Karimireddy et al. 2020, "SCAFFOLD: Stochastic Controlled Averaging for Federated Learning",
 * Algorithm 1). The server keeps a control variate c (an estimate of the global gradient) and sends it with the
 * model; each client keeps its own c_i (client/control-variate.ts), trains with the corrected step
 * y <- y - lr (g(y) - c_i + c), and returns its update delta y = y - x with delta c_i (option II). The server then
 * applies
 *   x <- x + lr_g * mean_S(delta y)        c <- c + (|S| / N) * mean_S(delta c_i) = c + sum_S(delta c_i) / N
 * with S the clients that reported and N all clients (the engine's available clients; |S| when unknown). The means
 * are unweighted, as in the paper. c is checkpointed with saveState, so a restarted server continues exactly; the
 * c_i live on the clients (a client that restarts starts again from c_i = 0, which the algorithm tolerates).
 */
import { FlotillaError, ParameterSet } from '../core/index.js';
import { RoundIntake, UpdateSum, applyStep } from './intake.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from './strategy.js';

export const SCAFFOLD_PARAMS: readonly ParamSpec[] = [
  {
    name: 'serverLearningRate',
    type: 'number',
    default: 1,
    min: 0,
    minExclusive: true,
    description: 'global step size lr_g in x <- x + lr_g * mean(delta y)',
  },
];

/**
 * Option II's c_i+ = c_i - c + (x - y) / (K lr) is the mean gradient only when y is K plain SGD steps of size lr from
 * x: with Adam or momentum the estimate is off by a per-coordinate or 1 / (1 - momentum) factor, and the correction
 * then pushes the model the wrong way (Adam on the stroke data ended with a held-out AUC of 0.25).
 */
export const SCAFFOLD_REQUIRES: StrategyRequirements = {
  localSgd: { momentum: false, uses: 'its control variate (x - y) / (K lr)' },
  gradientTerm: 'its control-variate correction',
};

/**
 * Options of {@link Scaffold}.
 * @example
 * ```ts
 * const strategy = new Scaffold({ serverLearningRate: 1 } satisfies ScaffoldOptions);
 * ```
 */
export interface ScaffoldOptions {
  readonly serverLearningRate?: number;
}

/**
 * SCAFFOLD (Karimireddy et al. 2020): control variates correct each client's drift; clients keep theirs.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new Scaffold() });
 * ```
 */
export class Scaffold implements Strategy {
  readonly name = 'scaffold';
  readonly statefulClients = true;
  readonly requires = SCAFFOLD_REQUIRES;
  private readonly serverLearningRate: number;
  /** The server control variate c; undefined (zeros) until the first aggregation. */
  private control: ParameterSet | undefined;
  private steps = 0;

  constructor(options: ScaffoldOptions = {}) {
    this.serverLearningRate = resolveParams(this.name, SCAFFOLD_PARAMS, options).number('serverLearningRate');
  }

  /** The current server control variate c (a copy; zeros before the first round). */
  controlVariate(global: ParameterSet): ParameterSet {
    return this.controlFor(global).clone();
  }

  configureFit(context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    const control = this.controlFor(context.global);
    return proposals.map((a) => ({ ...a, control }));
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new ScaffoldAggregator(context, this.controlFor(context.global), this.serverLearningRate, (c) => {
      this.control = c;
      this.steps += 1;
    });
  }

  saveState(): StrategyState {
    return {
      json: {
        strategy: this.name,
        steps: this.steps,
        params: { serverLearningRate: this.serverLearningRate },
      },
      tensors: this.control ? { control: this.control.clone() } : {},
    };
  }

  loadState(state: StrategyState): void {
    const { steps, tensors } = new StateReader(state, this.name).progress(['control']);
    this.steps = steps;
    this.control = tensors?.[0];
  }

  private controlFor(global: ParameterSet): ParameterSet {
    if (!this.control) return global.zerosLike();
    global.layout.assertEquals(this.control.layout, 'SCAFFOLD control variate and global model');
    return this.control;
  }
}

class ScaffoldAggregator implements RoundAggregator {
  private readonly intake: RoundIntake;
  private readonly updates: UpdateSum;
  private readonly controlDeltas: UpdateSum;

  constructor(
    private readonly context: RoundContext,
    private readonly control: ParameterSet,
    private readonly serverLearningRate: number,
    private readonly commit: (control: ParameterSet) => void,
  ) {
    this.intake = new RoundIntake(context);
    this.updates = new UpdateSum(context.global.size);
    this.controlDeltas = new UpdateSum(context.global.size);
  }

  add(result: ClientFitResult): void {
    this.intake.check(result);
    const delta = result.controlDelta;
    if (!delta) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `SCAFFOLD: client "${result.clientId}" sent no control variate delta (does its runtime support SCAFFOLD?)`,
        { clientId: result.clientId },
      );
    }
    checkControlDelta(this.context.global, result.clientId, delta);
    this.intake.record(result);
    this.updates.add(result.update, 1);
    this.controlDeltas.add(delta, 1);
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    this.intake.assertNotEmpty(failures);
    const reported = this.intake.count;
    const total = Math.max(this.context.availableClients ?? reported, reported);
    const params = applyStep(this.context.global, this.updates.scaled(this.serverLearningRate / reported));
    const control = applyStep(this.control, this.controlDeltas.scaled(1 / total));
    this.commit(control);
    return { params, metrics: this.intake.metrics() };
  }
}

function checkControlDelta(global: ParameterSet, clientId: string, delta: ParameterSet): void {
  global.layout.assertEquals(
    delta.layout,
    `control variate delta from client "${clientId}" and global model`,
  );
  const bad = delta.firstNonFinite();
  if (bad >= 0) {
    throw new FlotillaError('NON_FINITE', `client "${clientId}" sent a non-finite control variate delta`, {
      clientId,
      index: bad,
    });
  }
}

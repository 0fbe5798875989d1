/**
 * q-FedAvg (Li, Sanjabi, Beirami and Smith 2020, "Fair Resource Allocation in Federated Learning", Algorithm 3):
 * minimizes the q-fair objective sum_k F_k^(q+1) / (q+1), giving clients with a higher loss more weight. With the
 * Lipschitz estimate L = 1 / (client learning rate), client k's loss F_k at the round's global model w and its
 * locally trained model wbar_k, the paper's server step is
 *   Dw_k = L (w - wbar_k)      D_k = F_k^q Dw_k      h_k = q F_k^(q-1) ||Dw_k||^2 + L F_k^q
 *   w <- w - sum_k D_k / sum_k h_k.
 * Our updates are deltas u_k = wbar_k - w, so Dw_k = -L u_k and this becomes
 *   w <- w + sum_k (L F_k^q) u_k / sum_k (q F_k^(q-1) L^2 ||u_k||^2 + L F_k^q)
 * which is linear in the updates and therefore streams. q = 0 is FedAvg with equal client weights.
 *
 * What it needs from the others:
 * - clients report F_k, their loss on the received global model measured before training, as
 *   `metrics[INITIAL_LOSS_METRIC]` ("initialLoss"); a result without it is rejected naming the client;
 * - L comes from each client's `config.learningRate`, read in `configureFit`, so the engine must call
 *   `configureFit` for a round before `beginAggregation` (the Strategy contract's order).
 */
import { FlotillaError, l2NormSquared } from '../core/index.js';
import { resolveParams, type ParamSpec } from './params.js';
import { StateReader } from './state.js';
import { StreamingAggregator } from './streaming.js';
import type {
  ClientFitResult,
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from './strategy.js';

/** The metric in which clients report their loss on the round's global model, measured before local training. */
export const INITIAL_LOSS_METRIC = 'initialLoss';

/**
 * The default q. The paper tunes q per data set (its authors' Vehicle demo runs q = 5 for thousands of rounds); a
 * larger q is fairer and slower, because the L ||u_k||^2 term of h_k shrinks the step. At q = 1, 20-client
 * Dirichlet(0.5) MNIST logistic regression was at 0.46 accuracy after 8 rounds (FedAvg: 0.73); q = 0.1 reaches 0.68
 * and still weighs each client by F_k^0.1 (src/sim/strategies-learning.test.ts).
 */
const DEFAULT_Q = 0.1;

export const QFEDAVG_PARAMS: readonly ParamSpec[] = [
  {
    name: 'q',
    type: 'number',
    default: DEFAULT_Q,
    min: 0,
    description: 'fairness exponent: 0 is FedAvg with equal weights, larger favours clients with higher loss',
  },
];

/**
 * L = 1 / lr and Dw_k = L (w - wbar_k) read the client's displacement as plain SGD steps of size lr. Adam's steps
 * have a size of their own (about lr per coordinate whatever the gradient), so with Adam at lr 0.001 L = 1000 makes
 * the server step vanish and the model never moves; heavy-ball momentum inflates the displacement by up to
 * 1 / (1 - momentum).
 */
export const QFEDAVG_REQUIRES: StrategyRequirements = {
  localSgd: { momentum: false, uses: 'its Lipschitz estimate L = 1 / learningRate' },
};

/**
 * Options of {@link QFedAvg}.
 * @example
 * ```ts
 * const strategy = new QFedAvg({ q: 1 } satisfies QFedAvgOptions);
 * ```
 */
export interface QFedAvgOptions {
  readonly q?: number;
}

/**
 * q-FedAvg (Li et al. 2020): weighs clients with higher loss more, for a fairer spread of accuracy (q = 0 is
 * FedAvg).
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new QFedAvg({ q: 1 }) });
 * ```
 */
export class QFedAvg implements Strategy {
  readonly name = 'qfedavg';
  readonly requires = QFEDAVG_REQUIRES;
  private readonly q: number;
  /** L = 1 / learning rate for each client configured in `round`. */
  private configured: { round: number; lipschitz: Map<string, number> } | undefined;

  constructor(options: QFedAvgOptions = {}) {
    this.q = resolveParams(this.name, QFEDAVG_PARAMS, options).number('q');
  }

  configureFit(context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    const lipschitz = new Map<string, number>();
    for (const { clientId, config } of proposals) {
      if (!(config.learningRate > 0) || !Number.isFinite(config.learningRate)) {
        throw new FlotillaError(
          'STRATEGY_FAILED',
          `q-FedAvg needs a positive learning rate to estimate L = 1/lr, client "${clientId}" has ${config.learningRate}`,
          { clientId },
        );
      }
      lipschitz.set(clientId, 1 / config.learningRate);
    }
    this.configured = { round: context.round, lipschitz };
    // Ask the trainers for F_k (TfjsTrainer measures it only when asked: it costs one pass over the data).
    return proposals.map((a) => ({ ...a, config: { ...a.config, reportInitialLoss: true } }));
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    if (this.configured?.round !== context.round) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `q-FedAvg: configureFit was not called for round ${context.round} (it reads the clients' learning rates)`,
      );
    }
    const lipschitz = this.configured.lipschitz;
    const q = this.q;
    let denominator = 0;
    return new StreamingAggregator(context, {
      coefficient: (result) => {
        const L = lipschitz.get(result.clientId);
        if (L === undefined) {
          throw new FlotillaError(
            'STRATEGY_FAILED',
            `q-FedAvg: client "${result.clientId}" was not configured for round ${context.round}`,
            { clientId: result.clientId },
          );
        }
        const loss = initialLoss(result);
        const lossPowQ = Math.pow(loss, q); // 0^0 = 1: q = 0 weighs every client alike
        const normSquared = l2NormSquared(result.update);
        // q F^(q-1) is 0 for q = 0 and +Infinity for F = 0 with 0 < q < 1; skip it when there is no update so that
        // 0 * Infinity cannot produce NaN.
        const curvature = q === 0 || normSquared === 0 ? 0 : q * Math.pow(loss, q - 1) * L * L * normSquared;
        denominator += curvature + L * lossPowQ;
        return L * lossPowQ;
      },
      // sum_k h_k is 0 only when every F_k^q is 0, and then the numerator is 0 too: no step. An infinite sum
      // (a zero loss with 0 < q < 1) is the limit of a vanishing step.
      step: (sum) => ({ step: sum.scaled(denominator > 0 ? 1 / denominator : 0) }),
    });
  }

  saveState(): StrategyState {
    return { json: { strategy: this.name, params: { q: this.q } }, tensors: {} };
  }

  loadState(state: StrategyState): void {
    // Nothing to restore (learning rates are read again by configureFit); only check the state is ours.
    new StateReader(state, this.name);
  }
}

function initialLoss(result: ClientFitResult): number {
  const loss = result.metrics[INITIAL_LOSS_METRIC];
  if (loss === undefined || !Number.isFinite(loss) || loss < 0) {
    throw new FlotillaError(
      'STRATEGY_FAILED',
      `q-FedAvg: client "${result.clientId}" must report metrics.${INITIAL_LOSS_METRIC} (its loss on the round's ` +
        `global model before training) as a finite number >= 0, got ${loss}`,
      { clientId: result.clientId },
    );
  }
  return loss;
}

/**
 * FLTrust (Cao, Fang, Liu and Gong 2021, "FLTrust: Byzantine-robust Federated Learning via Trust Bootstrapping").
 * The server trains the global model on a small clean root dataset of its own each round (the ServerFit hook in
 * the round context) and gets the root update g0. Each client update g_i earns the trust score
 *   TS_i = ReLU(cos(g_i, g0))
 * and is rescaled to g0's norm; the aggregate is
 *   g = sum_i TS_i * (||g0|| / ||g_i||) g_i / sum_i TS_i,      x <- x + serverLearningRate * g
 * Updates pointing away from the root update get no weight and no client can win by sending a huge update. When
 * every score is 0 the model does not move. Given g0 the rule is linear in the updates, so it streams.
 *
 * The root update is computed in prepareRound (asynchronous: it trains), before the round's clients are configured.
 * Without a ServerFit hook FLTrust refuses to run (CONFIG_INVALID): there is no FLTrust without root data.
 */
import { FlotillaError, dot, l2Norm, type ParameterSet } from '../../core/index.js';
import { resolveParams, type ParamSpec } from '../params.js';
import { StateReader } from '../state.js';
import { StreamingAggregator } from '../streaming.js';
import type {
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyRequirements,
  StrategyState,
} from '../strategy.js';

export const FLTRUST_PARAMS: readonly ParamSpec[] = [
  {
    name: 'serverLearningRate',
    type: 'number',
    default: 1,
    min: 0,
    minExclusive: true,
    description: 'step size applied to the trust-weighted aggregate',
  },
];

/** There is no FLTrust without the server's root update: the engine refuses to start one without a ServerFit. */
export const FLTRUST_REQUIRES: StrategyRequirements = { serverFit: true };

/**
 * Options of {@link FLTrust}.
 * @example
 * ```ts
 * const strategy = new FLTrust({ serverLearningRate: 1 } satisfies FLTrustOptions);
 * ```
 */
export interface FLTrustOptions {
  readonly serverLearningRate?: number;
}

/**
 * FLTrust (Cao et al. 2021): scores each update by its cosine similarity to the server's own update on its root
 * data.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new FLTrust() });
 * ```
 */
export class FLTrust implements Strategy {
  readonly name = 'fltrust';
  readonly requires = FLTRUST_REQUIRES;
  private readonly serverLearningRate: number;
  /** The root update of the attempt whose context prepareRound last saw. */
  private root: { context: RoundContext; update: ParameterSet } | undefined;

  constructor(options: FLTrustOptions = {}) {
    this.serverLearningRate = resolveParams(this.name, FLTRUST_PARAMS, options).number('serverLearningRate');
  }

  async prepareRound(context: RoundContext): Promise<void> {
    if (!context.serverFit) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        'strategy "fltrust" needs a server root dataset: run it where the server can train (the simulator ' +
          'provides one from its data; a deployment must pass serverFit to the engine)',
        { key: 'strategy' },
      );
    }
    const trained = await context.serverFit(context.global, context.round);
    context.global.layout.assertEquals(trained.layout, 'FLTrust root model and global model');
    const update = trained.clone();
    const u = update.data;
    const g = context.global.data;
    for (let i = 0; i < u.length; i++) u[i] = u[i]! - g[i]!;
    update.assertFinite('the FLTrust root update');
    this.root = { context, update };
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    if (this.root?.context !== context) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `FLTrust: no root update for round ${context.round} (prepareRound must run before aggregation)`,
      );
    }
    const root = this.root.update;
    const rootNorm = l2Norm(root);
    let trustSum = 0;
    let trusted = 0;
    return new StreamingAggregator(context, {
      coefficient: (result) => {
        const norm = l2Norm(result.update);
        const trust =
          norm > 0 && rootNorm > 0 ? Math.max(0, dot(result.update, root) / (norm * rootNorm)) : 0;
        trustSum += trust;
        if (trust > 0) trusted += 1;
        return trust > 0 ? (trust * rootNorm) / norm : 0;
      },
      step: (sum) => ({
        step: sum.scaled(trustSum > 0 ? this.serverLearningRate / trustSum : 0),
        metrics: { trustedClients: trusted, trustSum },
      }),
    });
  }

  saveState(): StrategyState {
    return {
      json: { strategy: this.name, params: { serverLearningRate: this.serverLearningRate } },
      tensors: {},
    };
  }

  loadState(state: StrategyState): void {
    // The root update is recomputed every round; nothing carries over.
    new StateReader(state, this.name);
  }
}

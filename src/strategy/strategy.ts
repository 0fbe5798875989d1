/**
 * The server-side aggregation contract (DESIGN "Key interfaces"). The engine selects clients, proposes a FitConfig
 * for each, lets the strategy adjust them, then streams each client's result into a RoundAggregator as it arrives,
 * so a strategy that can fold results one at a time (FedAvg) holds one model in memory, not one per client.
 */
import type { FitConfig, MetricValues, ParameterSet, Rng } from '../core/index.js';

/**
 * Trains the round's global parameters on the server's own data and returns the trained parameters (FLTrust's root
 * dataset). The simulator provides one from its data; a deployment provides one when it holds such data.
 * @example
 * ```ts
 * const serverFit: ServerFit = async (params, round) => (await rootTrainer.fit(params, fitConfig(round))).params;
 * ```
 */
export type ServerFit = (params: ParameterSet, round: number) => Promise<ParameterSet>;

/**
 * What a strategy knows of the round it configures or aggregates: its number, the global parameters it
 * started from, a seeded random stream reserved for the strategy.
 * @example
 * ```ts
 * beginAggregation(context: RoundContext) {
 *   console.log(`round ${context.round} from ${context.global.size} parameters`);
 *   return new FedAvg().beginAggregation(context);
 * }
 * ```
 */
export interface RoundContext {
  readonly round: number;
  /** The global parameters the round started from (read-only for strategies). */
  readonly global: ParameterSet;
  /** A stream reserved for this strategy in this round. */
  readonly rng: Rng;
  /** Clients available when the round's clients were selected (SCAFFOLD's N); absent outside the engine. */
  readonly availableClients?: number;
  /** The server's own training, when the deployment or simulator has root data (FLTrust). */
  readonly serverFit?: ServerFit;
}

/**
 * One selected client and the fit config it will be sent; `configureFit` may change the config.
 * @example
 * ```ts
 * configureFit: (context, proposals: readonly FitAssignment[]) =>
 *   proposals.map((p) => ({ ...p, config: { ...p.config, localEpochs: 2 } })),
 * ```
 */
export interface FitAssignment {
  readonly clientId: string;
  readonly config: FitConfig;
  /** SCAFFOLD's server control variate, sent with the global parameters (the fit-task's `control` set). */
  readonly control?: ParameterSet;
}

/**
 * One client's decoded, validated fit result.
 * @example
 * ```ts
 * add(result: ClientFitResult) {
 *   console.log(result.clientId, result.numExamples, l2Norm(result.update));
 * }
 * ```
 */
export interface ClientFitResult {
  readonly clientId: string;
  readonly numExamples: number;
  readonly localSteps: number;
  readonly metrics: MetricValues;
  /** Locally trained parameters minus the round's global parameters. */
  readonly update: ParameterSet;
  /** SCAFFOLD: the change of the client's control variate, when its task carried one (layout checked). */
  readonly controlDelta?: ParameterSet;
}

/**
 * A selected client that did not deliver a valid result this round, and why.
 * @example
 * ```ts
 * finish(failures: readonly ClientFailure[]) {
 *   for (const f of failures) console.warn(`${f.clientId}: ${f.cause}: ${f.message}`);
 *   // ...
 * }
 * ```
 */
export interface ClientFailure {
  readonly clientId: string;
  /** Short machine-readable cause: 'deadline', 'disconnected', 'client-error', 'invalid-result', ... */
  readonly cause: string;
  readonly message: string;
}

/**
 * What a round's aggregation produces: the new global parameters and metrics about the round.
 * @example
 * ```ts
 * const out: AggregateOutput = { params: next, metrics: { clients: 4 } };
 * ```
 */
export interface AggregateOutput {
  readonly params: ParameterSet;
  readonly metrics: MetricValues;
}

/** Aggregation state for one round. `add` is called once per valid result, in arrival order. */
/**
 * A round's results as secure aggregation (or homomorphic encryption) delivers them: the server learns the weighted
 * sum of the clients' updates and each client's reported counts and metrics, never an individual update.
 */
export interface SecureSum {
  /** sum_k w_k update_k over the contributing clients (dequantized or decrypted). */
  readonly weightedSum: ParameterSet;
  /** sum_k w_k: example counts (capped by the protocol's maxWeight), or 1 each with unit weights. */
  readonly weightTotal: number;
  /** The contributing clients with what they reported in the clear; their updates stay hidden. */
  readonly contributions: readonly Omit<ClientFitResult, 'update' | 'controlDelta'>[];
}

/**
 * One round's aggregation: `add` receives each valid client result as it arrives, `finish` returns the new global
 * parameters. Folding results in as they come keeps the server's memory independent of the number of clients.
 * @example
 * ```ts
 * function meanOfUpdates(context: RoundContext): RoundAggregator {
 *   const sum = context.global.zerosLike();
 *   let n = 0;
 *   return {
 *     add: (result) => void (axpy(sum, 1, result.update), n++),
 *     finish: () => ({ params: axpy(context.global.clone(), 1 / Math.max(n, 1), sum), metrics: {} }),
 *   };
 * }
 * ```
 */
export interface RoundAggregator {
  /**
   * Folds in one client's validated result (its update is trained minus global parameters).
   */
  add(result: ClientFitResult): void;
  /**
   * Takes a securely summed round instead of individual results. Optional: an aggregator without it is given the
   * weighted mean as one result, which is only right for strategies that declare `meanUpdate`.
   */
  addSecureSum?(sum: SecureSum): void;
  /** Produces the new global parameters. `failures` lists clients that did not deliver. */
  finish(failures: readonly ClientFailure[]): AggregateOutput;
}

/**
 * Serializable strategy state, checkpointed by the engine (FedOpt moments, SCAFFOLD control variates...).
 * @example
 * ```ts
 * saveState: () => ({ json: { round: this.round }, tensors: { momentum: this.momentum } }) satisfies StrategyState,
 * ```
 */
export interface StrategyState {
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, ParameterSet>>;
}

/**
 * What a strategy's update rule assumes of the run beyond its own parameters, declared so that the engine refuses a
 * run that breaks it before the first round (engine/assumptions.ts, DESIGN principle 9) instead of running it to a
 * model that is silently wrong.
 * @example
 * ```ts
 * readonly requires: StrategyRequirements = { localSgd: { momentum: false, uses: 'its step normalizer' } };
 * ```
 */
export interface StrategyRequirements {
  /**
   * The rule reads each client's update as the sum of its plain SGD steps (SCAFFOLD's control variate
   * (x - y) / (K lr), q-FedAvg's L = 1 / lr, FedNova's step normalizer): Adam's per-coordinate steps break that, and
   * so does heavy-ball momentum unless `momentum` is true. `uses` says what the rule derives from those steps.
   */
  readonly localSgd?: { readonly momentum: boolean; readonly uses: string };
  /** Clients add this term to every local gradient (FedProx's proximal term, SCAFFOLD's correction). */
  readonly gradientTerm?: string;
  /** The rule trains on the server's own root data every round (FLTrust's root update). */
  readonly serverFit?: boolean;
  /**
   * The fewest updates a round must aggregate (Krum's n > 2f + 2, Bulyan's n >= 4f + 3); `rule` states the bound.
   * A run whose rounds can never select that many clients is refused.
   */
  readonly minUpdates?: { readonly count: number; readonly rule: string };
}

/**
 * The server-side aggregation contract. The engine selects clients, lets the strategy adjust their fit configs
 * (`configureFit`), streams their results into the round's aggregator (`beginAggregation`), and checkpoints the
 * strategy's state (`saveState`/`loadState`) with every committed round so that a restarted server resumes it.
 * @example
 * ```ts
 * class LoggingFedAvg implements Strategy {
 *   readonly name = 'logging-fedavg';
 *   private readonly fedavg = new FedAvg();
 *   configureFit: Strategy['configureFit'] = (context, proposals) => this.fedavg.configureFit(context, proposals);
 *   beginAggregation(context: RoundContext) {
 *     console.log(`aggregating round ${context.round}`);
 *     return this.fedavg.beginAggregation(context);
 *   }
 *   saveState = () => this.fedavg.saveState();
 *   loadState: Strategy['loadState'] = (state) => this.fedavg.loadState(state);
 * }
 * await simulate({ strategy: new LoggingFedAvg() });
 * ```
 */
export interface Strategy {
  /** The name used in configs and on the command line, e.g. "fedavg". */
  readonly name: string;
  /** What the rule assumes of local training and the server; absent: nothing beyond its parameters. */
  readonly requires?: StrategyRequirements;
  /**
   * Present when the rule depends on the clients' results only through their mean update (example-weighted or not)
   * and their metrics, as FedAvg, FedProx, FedAvgM and FedOpt do. Secure aggregation then hands it that mean as one
   * result; rules that need each update (robust rules, SCAFFOLD, FedNova, q-FedAvg) cannot run under it.
   */
  readonly meanUpdate?: { readonly weighted: boolean };
  /**
   * True when its clients keep state between rounds (SCAFFOLD's c_i lives in each client's runtime): a simulation
   * must then serve each client from the same thread every time.
   */
  readonly statefulClients?: boolean;
  /** Adjusts the engine's proposed per-client configs (e.g. adds a proximal term). Identity by default. */
  configureFit(context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[];
  /** Asynchronous work before configureFit, once per attempt with the attempt's context (FLTrust's root update). */
  prepareRound?(context: RoundContext): Promise<void>;
  /**
   * Starts aggregating one round (one attempt of it): the engine adds each valid result, then finishes it.
   */
  beginAggregation(context: RoundContext): RoundAggregator;
  /**
   * The state to checkpoint with the round being committed (empty for stateless rules).
   */
  saveState(): StrategyState;
  /**
   * Restores a checkpointed state before a resumed run's first round.
   */
  loadState(state: StrategyState): void;
}

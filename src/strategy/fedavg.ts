/**
 * FedAvg (McMahan et al. 2017): the new global model is the global model plus the mean of the client updates,
 * weighted by each client's number of examples (or unweighted). Results are folded in as they arrive, so the
 * server holds one accumulator the size of the model however many clients report.
 */
import { WeightedMeanAccumulator, axpy } from '../core/index.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  FitAssignment,
  RoundAggregator,
  RoundContext,
  Strategy,
  StrategyState,
} from './strategy.js';
import { RoundIntake, nonFiniteUpdate } from './intake.js';

/**
 * Options of {@link FedAvg}.
 * @example
 * ```ts
 * const strategy = new FedAvg({ weighted: false } satisfies FedAvgOptions);
 * ```
 */
export interface FedAvgOptions {
  /** Weight each update by its number of examples (default) or give every client the same weight. */
  readonly weighted?: boolean;
}

/**
 * FedAvg (McMahan et al. 2017): the example-weighted (or plain) mean of the clients' updates.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 5 }, strategy: new FedAvg() });
 * ```
 */
export class FedAvg implements Strategy {
  readonly name: string;
  readonly meanUpdate: { readonly weighted: boolean };
  private readonly weighted: boolean;

  constructor(options: FedAvgOptions = {}) {
    this.weighted = options.weighted ?? true;
    this.meanUpdate = { weighted: this.weighted };
    this.name = 'fedavg';
  }

  configureFit(_context: RoundContext, proposals: readonly FitAssignment[]): FitAssignment[] {
    return [...proposals];
  }

  beginAggregation(context: RoundContext): RoundAggregator {
    return new MeanUpdateAggregator(context, this.weighted);
  }

  saveState(): StrategyState {
    return { json: { weighted: this.weighted }, tensors: {} };
  }

  loadState(_state: StrategyState): void {
    // FedAvg keeps no state between rounds.
  }
}

/** Streams updates into a weighted mean and applies it to the round's global parameters. */
export class MeanUpdateAggregator implements RoundAggregator {
  private readonly accumulator: WeightedMeanAccumulator;
  private readonly intake: RoundIntake;

  constructor(
    private readonly context: RoundContext,
    private readonly weighted: boolean,
  ) {
    this.accumulator = new WeightedMeanAccumulator(context.global.layout);
    this.intake = new RoundIntake(context);
  }

  add(result: ClientFitResult): void {
    const global = this.context.global;
    global.layout.assertEquals(
      result.update.layout,
      `update from client "${result.clientId}" and global model`,
    );
    const weight = this.weighted ? result.numExamples : 1;
    // A NaN or infinity would poison the running sum for every client: the accumulator checks while it folds
    // (one pass over the update) and this refuses the result, naming the client.
    const bad = this.accumulator.addFinite(result.update, weight);
    if (bad >= 0) throw nonFiniteUpdate(result, bad);
    // Not `intake.check`: the fold above already checked the update in the same pass.
    this.intake.record(result);
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    this.intake.assertNotEmpty(failures);
    const params = this.context.global.clone();
    axpy(params, 1, this.accumulator.mean());
    return { params, metrics: this.intake.metrics() };
  }
}

/**
 * What every aggregator does with a client result before its own rule sees it (DESIGN principle 7: bad input is
 * expected): check the update's layout against the global model, reject non-finite values and duplicate clients,
 * and fold the client's training metrics into an example-weighted mean. Errors thrown from `accept` name the client
 * so the engine can record a failure for it and carry on with the round.
 */
import { FlotillaError, RunningSum, type MetricValues, type ParameterSet } from '../core/index.js';
import type { ClientFailure, ClientFitResult, RoundContext } from './strategy.js';

export class RoundIntake {
  private readonly clients = new Set<string>();
  private readonly metricSums = new Map<string, number>();
  private examples = 0;

  constructor(private readonly context: RoundContext) {}

  /** Number of results accepted so far. */
  get count(): number {
    return this.clients.size;
  }

  /**
   * Validates one result without recording it; throws NON_FINITE, SHAPE_MISMATCH or STRATEGY_FAILED naming the
   * client. Separate from `record` so a rule can run its own checks before anything is counted.
   */
  check(result: ClientFitResult): void {
    const client = result.clientId;
    if (this.clients.has(client)) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `round ${this.context.round}: client "${client}" delivered more than one result`,
        { clientId: client },
      );
    }
    if (!Number.isFinite(result.numExamples) || result.numExamples < 0) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `client "${client}" reported an invalid number of examples (${result.numExamples})`,
        { clientId: client },
      );
    }
    checkUpdate(this.context.global, result);
  }

  /** Counts a checked result and folds in its metrics. */
  record(result: ClientFitResult): void {
    this.clients.add(result.clientId);
    this.examples += result.numExamples;
    // Training metrics are averaged by examples whatever the aggregation rule, as FedAvg does.
    for (const [name, value] of Object.entries(result.metrics)) {
      this.metricSums.set(name, (this.metricSums.get(name) ?? 0) + value * result.numExamples);
    }
  }

  /** Throws STRATEGY_FAILED when no result was accepted: no rule can produce a model from nothing. */
  assertNotEmpty(failures: readonly ClientFailure[]): void {
    if (this.count > 0) return;
    throw new FlotillaError(
      'STRATEGY_FAILED',
      `round ${this.context.round}: no client updates to aggregate (${failures.length} client(s) failed)`,
    );
  }

  /** Example-weighted mean of the accepted clients' metrics. */
  metrics(): MetricValues {
    const out: MetricValues = {};
    if (this.examples > 0) for (const [name, sum] of this.metricSums) out[name] = sum / this.examples;
    return out;
  }
}

/**
 * Throws SHAPE_MISMATCH unless the update has the global model's layout and NON_FINITE if it holds NaN or an
 * infinity; both name the client, so the engine can record the failure against it.
 */
export function checkUpdate(global: ParameterSet, result: ClientFitResult): void {
  global.layout.assertEquals(
    result.update.layout,
    `update from client "${result.clientId}" and global model`,
  );
  const bad = result.update.firstNonFinite();
  if (bad >= 0) throw nonFiniteUpdate(result, bad);
}

/** NON_FINITE naming the client and the tensor holding the non-finite value at flat index `bad`. */
export function nonFiniteUpdate(result: ClientFitResult, bad: number): FlotillaError {
  const client = result.clientId;
  return new FlotillaError(
    'NON_FINITE',
    `client "${client}" sent an update with a non-finite value (${result.update.data[bad]}) in tensor ` +
      `"${result.update.tensorNameAt(bad)}"`,
    { clientId: client, index: bad },
  );
}

/** The new global model: the round's global parameters plus `step`, rounded to float32 once. */
export function applyStep(global: ParameterSet, step: Float64Array | Float32Array): ParameterSet {
  const out = global.zerosLike();
  const g = global.data;
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = g[i]! + step[i]!;
  return out;
}

/**
 * A float64 running sum of scaled updates, the streaming building block of the FedAvg family: each update is
 * folded in as it arrives and dropped, so memory is one model-sized vector whatever the number of clients.
 */
export class UpdateSum {
  private readonly running: RunningSum;

  constructor(size: number) {
    this.running = new RunningSum(size);
  }

  /** The running sum. */
  get sum(): Float64Array {
    return this.running.values;
  }

  /** sum <- sum + coefficient * update; throws NON_FINITE (sum unchanged) if the update holds NaN or an infinity. */
  add(update: ParameterSet, coefficient: number): void {
    const bad = this.running.addFinite(update.data, coefficient);
    if (bad >= 0) throw new FlotillaError('NON_FINITE', `update holds a non-finite value at index ${bad}`);
  }

  /** The sum multiplied by `factor`, as a new vector. */
  scaled(factor: number): Float64Array {
    const sum = this.running.values;
    const out = new Float64Array(sum.length);
    for (let i = 0; i < out.length; i++) out[i] = sum[i]! * factor;
    return out;
  }
}

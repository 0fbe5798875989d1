/**
 * The round engine (DESIGN principle 2): one loop that runs federated rounds against any ClientPool with any
 * Strategy. Per round it selects clients from a seeded stream, sends each an encoded fit task, validates every reply,
 * streams valid results into the strategy's aggregator, optionally evaluates (on the server and on clients), commits
 * the round, and reports everything as events. Simulation and deployment differ only in the pool.
 *
 * Reproducibility: selection, per-client seeds and strategy streams derive from the run seed, the round and the
 * client id only, and simulation pools yield outcomes in task order, so a run gives the same parameters whichever
 * worker served which client.
 */
import {
  FlotillaError,
  Rng,
  TypedEmitter,
  isFlotillaError,
  toHex,
  type EvaluateOutput,
  type FitConfig,
  type ParameterSet,
} from '../core/index.js';
import { encodeMessage, type DecodeLimits } from '../protocol/index.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  FitAssignment,
  RoundAggregator,
  RoundContext,
  SecureSum,
  ServerFit,
  Strategy,
  StrategyState,
} from '../strategy/strategy.js';
import {
  poissonRate,
  requiredResults,
  resolveEngineConfig,
  selectionSize,
  type EngineConfig,
  type ResolvedEngineConfig,
} from './config.js';
import { RoundAvailability } from './availability.js';
import type { EngineEvents, TaskPhase } from './events.js';
import { summarizeFederatedEvaluation, type ClientEvaluation } from './federated-evaluation.js';
import type { FailedAttempt, FederatedEvaluation, RoundRecord } from './history.js';
import type { ClientPool, TaskEnvelope, TaskOutcome } from './pool.js';
import {
  budgetRefusal,
  type PrivacyCheckpoint,
  type PrivacyPolicy,
  type PrivacyRoundPlan,
  type RoundPrivacy,
} from './privacy.js';
import { readEvaluateReply, readFitReply, type Checked, type SentTask } from './replies.js';
import { AGGREGATION_FAILED, roundFailure } from './round-failure.js';
import { HomomorphicRound, encryptionParameters } from './homomorphic.js';
import { SecureRound, checkCapacity, meanResult } from './secure-aggregation.js';
import { checkRunAssumptions } from './assumptions.js';
import type { AcceptReply, Collected, StageRun } from './stages.js';
import { UpdateBounds, aggregateRefusal } from './update-bounds.js';

/**
 * Makes a committed round durable before the next one starts (the durable server implements it with SQLite).
 * `privacy` is passed when the run uses differential privacy: the ledger after this round, to be written in the
 * same transaction as the round so a restart neither forgets nor double-counts spending (give the latest one back
 * as `RunOptions.privacyState` on resume).
 */
export interface RoundCommitter {
  commitRound(
    record: RoundRecord,
    params: ParameterSet,
    strategyState: StrategyState,
    privacy?: PrivacyCheckpoint,
  ): Promise<void>;
}

/** Evaluates the new global parameters on the server's own data. */
export type ServerEvaluate = (params: ParameterSet, round: number) => Promise<EvaluateOutput>;

export interface RoundEngineOptions {
  readonly pool: ClientPool;
  readonly strategy: Strategy;
  readonly config: EngineConfig;
  readonly serverEvaluate?: ServerEvaluate;
  /** Training on the server's own data, for strategies that use it (FLTrust). */
  readonly serverFit?: ServerFit;
  readonly committer?: RoundCommitter;
  /** Bounds applied when decoding client replies. Defaults to the codec's defaults. */
  readonly limits?: DecodeLimits;
  /** Differential privacy: clipping, noise, accounting and the budget (see privacy.ts). */
  readonly privacy?: PrivacyPolicy;
  /**
   * The clients a selection is drawn from whether connected or not (a deployment's registered clients). When given,
   * every round waits until all of them are connected and samples among them: what central DP's accountant assumes
   * (no round runs with part of the population away, which would raise the sampling rate it charges), and what a
   * consortium whose every member trains each round wants. Pools of a fixed set of clients (simulation) need not say.
   */
  readonly population?: () => readonly string[];
}

export interface RunOptions {
  readonly initialParams: ParameterSet;
  /** First round to run; a resumed run passes the round after its last committed one. Default 1. */
  readonly startRound?: number;
  /** Strategy state saved with the last committed round, loaded before the first round runs. */
  readonly strategyState?: StrategyState;
  /** Checked between rounds: an aborted run returns after the round in progress commits. */
  readonly signal?: AbortSignal;
  /** The privacy checkpoint saved with the last committed round, restored into the policy before the first round. */
  readonly privacyState?: PrivacyCheckpoint;
}

/**
 * How a run ended: its status, the final global parameters, and every committed round.
 * @example
 * ```ts
 * const result: RunResult = await server.finished;
 * console.log(result.status, result.lastRound, result.params.size);
 * ```
 */
export interface RunResult {
  /** 'budget-exhausted': the next round would have exceeded the privacy budget, so it was not started. */
  readonly status: 'completed' | 'aborted' | 'budget-exhausted';
  /** Why a run ended with 'budget-exhausted'. */
  readonly reason?: string;
  /** Privacy spent by the whole run (restored spending included), when it uses differential privacy. */
  readonly privacy?: Omit<RoundPrivacy, 'details'>;
  /** Global parameters after the last committed round (the initial ones when none committed). */
  readonly params: ParameterSet;
  readonly history: readonly RoundRecord[];
  /** The last committed round (startRound - 1 when none committed). */
  readonly lastRound: number;
}

interface Traffic {
  sent: number;
  received: number;
}

interface CommittableAttempt {
  readonly ok: true;
  readonly selected: readonly string[];
  readonly participants: readonly string[];
  readonly failures: readonly ClientFailure[];
  readonly numExamples: number;
  readonly output: AggregateOutput;
  readonly fitMs: number;
  readonly aggregationMs: number;
  readonly privacy: { readonly plan: PrivacyRoundPlan; readonly aggregator: RoundAggregator } | undefined;
}

/** What both ways of collecting an attempt's results (plain or secure) start from. */
interface AttemptSetup {
  readonly round: number;
  readonly attempt: number;
  readonly global: ParameterSet;
  readonly traffic: Traffic;
  readonly context: RoundContext;
  readonly assignments: readonly FitAssignment[];
  readonly selected: readonly string[];
  readonly needed: number;
  readonly plan: PrivacyRoundPlan | undefined;
}

type AttemptOutcome =
  | CommittableAttempt
  | { readonly ok: false; readonly failed: FailedAttempt }
  | { readonly ok: false; readonly exhausted: string };

/** Deterministic order of clients whatever order the pool lists them in. */
function sortedIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export class RoundEngine {
  readonly events = new TypedEmitter<EngineEvents>();
  readonly config: ResolvedEngineConfig;
  private readonly pool: ClientPool;
  private readonly strategy: Strategy;
  private readonly serverEvaluate: ServerEvaluate | undefined;
  private readonly serverFit: ServerFit | undefined;
  private readonly committer: RoundCommitter | undefined;
  private readonly limits: DecodeLimits | undefined;
  private readonly root: Rng;
  private readonly privacy: PrivacyPolicy | undefined;
  /** Secure aggregation: whether clients weigh 1 each, and the engine's session name bound into every round. */
  private readonly unitWeights: boolean;
  private readonly session: string;
  /** Homomorphic aggregation: the round's public encryption parameters, built once. */
  private heParameters: Promise<Uint8Array> | undefined;
  /** What one client's result may weigh and move (update-bounds.ts). */
  private readonly bounds: UpdateBounds;
  /** Waiting for clients before a round selects, and the pause between its attempts. */
  private readonly availability: RoundAvailability;
  /** The running run's signal: it also ends a wait for clients or a pause between attempts. */
  private signal: AbortSignal | undefined;

  constructor(options: RoundEngineOptions) {
    this.config = resolveEngineConfig(options.config);
    this.privacy = options.privacy;
    checkRunAssumptions({
      strategy: options.strategy,
      config: this.config,
      privacy: options.privacy,
      serverFit: options.serverFit !== undefined,
      // Fixed-size sampling never selects more than clientsPerRound (Poisson may, by chance).
      maxSelection: this.config.clientSampling === 'fixed-size' ? this.config.clientsPerRound : undefined,
    });
    this.pool = options.pool;
    this.strategy = options.strategy;
    this.serverEvaluate = options.serverEvaluate;
    this.serverFit = options.serverFit;
    this.committer = options.committer;
    this.limits = options.limits;
    this.root = new Rng(this.config.seed);
    this.bounds = new UpdateBounds(this.config);
    this.availability = new RoundAvailability(
      this.pool,
      this.config,
      this.events,
      this.root.split('availability'),
      options.population && (() => options.population!().length),
    );
    const hiding = this.config.secureAggregation ?? this.config.homomorphicAggregation;
    const composition = this.privacy?.secureAggregation(hiding !== undefined);
    this.unitWeights = composition?.unitWeights === true || this.strategy.meanUpdate?.weighted === false;
    this.session = toHex(crypto.getRandomValues(new Uint8Array(8)));
  }

  async run(options: RunOptions): Promise<RunResult> {
    const startRound = options.startRound ?? 1;
    const { rounds } = this.config;
    if (!Number.isSafeInteger(startRound) || startRound < 1 || startRound > rounds + 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `startRound must be an integer in [1, ${rounds + 1}], got ${startRound}`,
      );
    }
    options.initialParams.assertFinite('initial parameters');
    if (this.config.secureAggregation) {
      checkCapacity(this.config.secureAggregation, this.pool.available().length);
    }
    if (options.strategyState) this.strategy.loadState(options.strategyState);
    this.signal = options.signal;
    if (options.privacyState) {
      if (!this.privacy) {
        throw new FlotillaError(
          'CONFIG_INVALID',
          'a privacy checkpoint was given to a run without a privacy policy',
        );
      }
      this.privacy.restore(options.privacyState);
    }

    const startedAt = Date.now();
    const runStart = performance.now();
    this.events.emit('run-started', {
      config: this.config,
      strategy: this.strategy.name,
      startRound,
      rounds,
      numParameters: options.initialParams.size,
      availableClients: this.pool.available().length,
      startedAt,
    });
    let params = options.initialParams;
    let lastRound = startRound - 1;
    const history: RoundRecord[] = [];
    let status: RunResult['status'] = 'completed';
    let reason: string | undefined;
    try {
      for (let round = startRound; round <= rounds; round++) {
        if (options.signal?.aborted) {
          status = 'aborted';
          break;
        }
        const outcome = await this.runRound(round, params);
        if ('aborted' in outcome) {
          status = 'aborted';
          break;
        }
        if ('exhausted' in outcome) {
          status = 'budget-exhausted';
          reason = outcome.exhausted;
          break;
        }
        const { record, params: next } = outcome;
        const checkpoint = this.privacy?.checkpoint(round);
        if (this.committer) {
          await this.committer.commitRound(record, next, this.strategy.saveState(), checkpoint);
        }
        params = next;
        lastRound = round;
        history.push(record);
        this.events.emit('round-committed', { record });
        if (record.privacy) {
          const { mechanism, epsilon, delta, budget } = record.privacy;
          this.events.emit('privacy-spent', {
            round,
            mechanism,
            epsilon,
            delta,
            ...(budget ? { budget } : {}),
          });
        }
      }
    } catch (error) {
      this.events.emit('run-finished', {
        status: 'failed',
        lastRound,
        durationMs: performance.now() - runStart,
        error: {
          code: isFlotillaError(error) ? error.code : 'UNEXPECTED',
          message: error instanceof Error ? error.message : String(error),
        },
      });
      throw error;
    }
    this.events.emit('run-finished', {
      status,
      lastRound,
      durationMs: performance.now() - runStart,
      ...(reason ? { reason } : {}),
    });
    const privacy = this.privacy && {
      mechanism: this.privacy.mechanism,
      epsilon: this.privacy.spent(),
      delta: this.privacy.delta,
      ...(this.privacy.budget ? { budget: this.privacy.budget } : {}),
    };
    return {
      status,
      params,
      history,
      lastRound,
      ...(reason ? { reason } : {}),
      ...(privacy ? { privacy } : {}),
    };
  }

  /**
   * Runs one round to a committable record, retrying with fresh selections; throws ROUND_FAILED when out of tries.
   * Returns `exhausted` instead when the privacy budget does not allow the round, `aborted` when the run's signal
   * ended a wait for clients or a pause between attempts.
   */
  private async runRound(
    round: number,
    global: ParameterSet,
  ): Promise<{ record: RoundRecord; params: ParameterSet } | { exhausted: string } | { aborted: true }> {
    const start = performance.now();
    const traffic: Traffic = { sent: 0, received: 0 };
    const failedAttempts: FailedAttempt[] = [];
    const maxAttempts = this.config.maxRetries + 1;
    let committed: CommittableAttempt | undefined;
    for (let attempt = 1; attempt <= maxAttempts && !committed; attempt++) {
      // Waiting for clients to (re)connect spends no attempt: only a dispatched attempt that fell short does.
      if (!(await this.availability.ready(round, attempt, this.signal))) return { aborted: true };
      const outcome = await this.fitAttempt(round, attempt, global, traffic);
      if (outcome.ok) {
        committed = outcome;
      } else if ('exhausted' in outcome) {
        return { exhausted: outcome.exhausted };
      } else {
        failedAttempts.push(outcome.failed);
        if (attempt < maxAttempts) {
          const retryInMs = this.availability.retryDelay(round, attempt);
          this.events.emit('round-retried', {
            round,
            failed: outcome.failed,
            attemptsLeft: maxAttempts - attempt,
            retryInMs,
          });
          if (!(await this.availability.pause(retryInMs, this.signal))) return { aborted: true };
        }
      }
    }
    if (!committed) throw roundFailure(round, failedAttempts);

    // finishAttempt has checked them: the layout is the model's and every value is finite.
    const params = committed.output.params;

    // The round is decided: charge its privacy cost before anything of it is released.
    const privacy =
      committed.privacy && this.privacy!.commit(committed.privacy.plan, committed.privacy.aggregator);

    const evalStart = performance.now();
    const serverEvaluation = await this.maybeServerEvaluate(round, params);
    const federatedEvaluation = this.isDue(round, this.config.evaluateEvery)
      ? await this.federatedEvaluate(round, params, traffic)
      : undefined;
    const evaluationMs = performance.now() - evalStart;

    const record: RoundRecord = {
      round,
      attempts: failedAttempts.length + 1,
      selected: committed.selected,
      participants: committed.participants,
      failures: committed.failures,
      failedAttempts,
      train: { numExamples: committed.numExamples, metrics: committed.output.metrics },
      ...(serverEvaluation ? { serverEvaluation } : {}),
      ...(federatedEvaluation ? { federatedEvaluation } : {}),
      durations: {
        fitMs: committed.fitMs,
        aggregationMs: committed.aggregationMs,
        evaluationMs,
        totalMs: performance.now() - start,
      },
      bytesSent: traffic.sent,
      bytesReceived: traffic.received,
      ...(privacy ? { privacy } : {}),
    };
    return { record, params };
  }

  /** Every k rounds, and always after the last one; k = 0 means never. */
  private isDue(round: number, every: number): boolean {
    return every > 0 && (round % every === 0 || round === this.config.rounds);
  }

  private async fitAttempt(
    round: number,
    attempt: number,
    global: ParameterSet,
    traffic: Traffic,
  ): Promise<AttemptOutcome> {
    const available = sortedIds(this.pool.available().map((c) => c.id));
    if (available.length < this.config.minFitClients) {
      return this.failedAttempt(
        { attempt, selected: [] },
        `${available.length} client(s) available, minFitClients is ${this.config.minFitClients}`,
      );
    }
    const { chosen, expected } = this.select(round, attempt, available);
    const plan = this.privacy?.planRound(round, available.length, expected);
    const refusal = plan && budgetRefusal(this.privacy!, plan);
    if (refusal) return { ok: false, exhausted: refusal };
    const context: RoundContext = {
      round,
      global,
      rng: this.root.split('strategy', round, attempt),
      availableClients: available.length,
      ...(this.serverFit ? { serverFit: this.serverFit } : {}),
    };
    let assignments: readonly FitAssignment[];
    let selected: readonly string[];
    try {
      await this.strategy.prepareRound?.(context);
      assignments = this.strategy.configureFit(
        context,
        chosen.map((id) => this.proposal(round, id)),
      );
      selected = this.checkAssignments(assignments, chosen);
    } catch (error) {
      // A strategy that cannot set up this round (its server-side training threw, a bug) fails the attempt, which is
      // recorded and retried; only attempts that all fail end the run.
      const message = error instanceof Error ? error.message : String(error);
      return this.failedAttempt(
        { attempt, selected: chosen },
        `${AGGREGATION_FAILED}: strategy "${this.strategy.name}" could not configure the round: ${message}`,
      );
    }
    this.events.emit('round-started', { round, attempt, selected });
    // Under Poisson sampling with DP an empty draw is a valid round: the release is noise alone, and skipping it
    // would bias the sampling the accountant analysed.
    const needed =
      selected.length === 0 && plan?.allowsEmptyRound ? 0 : requiredResults(this.config, selected.length);
    if ((selected.length === 0 && needed > 0) || selected.length < needed) {
      return this.failedAttempt(
        { attempt, selected },
        `${selected.length} client(s) selected, ${needed} result(s) needed`,
      );
    }

    const setup: AttemptSetup = {
      round,
      attempt,
      global,
      traffic,
      context,
      assignments,
      selected,
      needed,
      plan,
    };
    // An empty Poisson draw under DP has no update to protect: its release is noise alone.
    if (selected.length === 0) return this.plainAttempt(setup);
    if (this.config.secureAggregation) return this.secureAttempt(setup);
    if (this.config.homomorphicAggregation) return this.homomorphicAttempt(setup);
    return this.plainAttempt(setup);
  }

  private failedAttempt(
    setup: Pick<AttemptSetup, 'attempt' | 'selected'>,
    reason: string,
    failures: readonly ClientFailure[] = [],
  ): AttemptOutcome {
    return { ok: false, failed: { attempt: setup.attempt, selected: setup.selected, reason, failures } };
  }

  /** The fit task for an assignment; its task id names the round, attempt and position, not the client. */
  private fitTask(setup: AttemptSetup, index: number, extra: Partial<FitConfig> = {}): TaskEnvelope {
    const { round, attempt, plan, global } = setup;
    const a = setup.assignments[index]!;
    const taskId = `${round}.${attempt}.${index}`;
    const config = plan ? plan.configure(a.config, a.clientId, setup.needed) : a.config;
    return {
      clientId: a.clientId,
      taskId,
      frame: encodeMessage({
        type: 'fit-task',
        round,
        taskId,
        config: { ...config, ...extra },
        params: global,
        ...(a.control ? { control: a.control } : {}),
      }),
    };
  }

  /** Each client sends its update; each valid one is folded into the aggregator as it arrives. */
  private async plainAttempt(setup: AttemptSetup): Promise<AttemptOutcome> {
    const { round, global, context, plan } = setup;
    const tasks = setup.assignments.map((_, i) => this.fitTask(setup, i));
    const inner = this.strategy.beginAggregation(context);
    const aggregator = plan ? plan.wrap(inner, context) : inner;
    const participants: string[] = [];
    let numExamples = 0;
    let aggregationMs = 0;
    const fitStart = performance.now();
    const failures = await this.dispatch(
      'fit',
      round,
      tasks,
      this.config.fitDeadlineMs,
      setup.traffic,
      (frame, task) => {
        const read = readFitReply(frame, task, global.layout, this.limits);
        const checked = read.ok ? this.bounds.admit(read.value) : read;
        if (!checked.ok) return checked;
        const t = performance.now();
        try {
          aggregator.add(checked.value);
        } catch (error) {
          // A strategy may refuse a result (e.g. a robust rule's sanity bound); that is the client's failure.
          return {
            ok: false,
            failure: { clientId: task.clientId, cause: 'rejected', message: (error as Error).message },
          } satisfies Checked<ClientFitResult>;
        } finally {
          aggregationMs += performance.now() - t;
        }
        participants.push(task.clientId);
        numExamples += checked.value.numExamples;
        const { metrics } = checked.value;
        const resources = read.ok ? read.value.resources : undefined;
        return {
          ok: true,
          value: { numExamples: checked.value.numExamples, metrics, ...(resources ? { resources } : {}) },
        };
      },
    );
    const fitMs = performance.now() - fitStart;
    return this.finishAttempt(setup, aggregator, {
      participants,
      failures,
      numExamples,
      fitMs,
      aggregationMs,
    });
  }

  /**
   * SecAgg+: the fit tasks open the protocol (each client answers with its stage-0 keys), the later stages run as
   * stage tasks with their own deadline, and the aggregator receives the unmasked sum, never an individual update.
   */
  private async secureAttempt(setup: AttemptSetup): Promise<AttemptOutcome> {
    const { round, attempt, global, selected, needed } = setup;
    if (selected.length < 2) {
      return this.failedAttempt(
        setup,
        `secure aggregation needs at least 2 clients, ${selected.length} selected`,
      );
    }
    const secure = new SecureRound(this.config.secureAggregation!, {
      session: `${this.session}/${attempt}`,
      round,
      attempt,
      clientIds: selected,
      layout: global.layout,
      unitWeights: this.unitWeights,
      needed,
    });
    const fitTasks = selected.map((clientId, i) =>
      this.fitTask(setup, i, { secureAggregation: secure.taskFor(clientId) }),
    );
    return this.collectSum(setup, (run) => secure.collect(run), fitTasks);
  }

  /**
   * Runs a protocol's stages through the pool and hands its sum to the strategy; the protocol's stages count as
   * collecting the round's results (fitMs).
   */
  private async collectSum(
    setup: AttemptSetup,
    collect: (run: StageRun) => Promise<Collected>,
    fitTasks: readonly TaskEnvelope[],
  ): Promise<AttemptOutcome> {
    const { round, traffic } = setup;
    const fitStart = performance.now();
    const collected = await collect({
      fitTasks,
      fitDeadlineMs: this.config.fitDeadlineMs,
      limits: this.limits,
      bounds: this.bounds,
      dispatch: (phase, tasks, deadlineMs, accept) =>
        this.dispatch(phase, round, tasks, deadlineMs, traffic, accept),
      failed: (phase, failure) => this.events.emit('client-failed', { round, phase, failure }),
    });
    if (!collected.ok) return this.failedAttempt(setup, collected.reason, collected.failures);
    return this.aggregateSum(setup, collected.sum, collected.failures, performance.now() - fitStart);
  }

  /** Hands a securely summed (or decrypted) round to the strategy and finishes the attempt. */
  private aggregateSum(
    setup: AttemptSetup,
    sum: SecureSum,
    failures: readonly ClientFailure[],
    fitMs: number,
  ): AttemptOutcome {
    const { context, plan } = setup;
    const participants = sum.contributions.map((c) => c.clientId);
    const bounded = this.bounds.boundSum(sum);
    if ('refusal' in bounded) return this.failedAttempt(setup, bounded.refusal, failures);
    const aggregationStart = performance.now();
    const inner = this.strategy.beginAggregation(context);
    const aggregator = plan ? plan.wrap(inner, context) : inner;
    if (participants.length >= setup.needed) {
      if (aggregator.addSecureSum) aggregator.addSecureSum(bounded.sum);
      else aggregator.add(meanResult(bounded.sum));
    }
    return this.finishAttempt(setup, aggregator, {
      participants,
      failures,
      numExamples: sum.contributions.reduce((total, c) => total + c.numExamples, 0),
      fitMs,
      aggregationMs: performance.now() - aggregationStart,
    });
  }

  /**
   * CKKS: the fit tasks name the public encryption parameters, each client answers with its encrypted weighted
   * update, the server adds the ciphertexts without any key, and contributors are asked in turn to decrypt the sum.
   */
  private async homomorphicAttempt(setup: AttemptSetup): Promise<AttemptOutcome> {
    const config = this.config.homomorphicAggregation!;
    this.heParameters ??= encryptionParameters(config.params);
    const encrypted = await HomomorphicRound.open(await this.heParameters, {
      round: setup.round,
      attempt: setup.attempt,
      layout: setup.global.layout,
      unitWeights: this.unitWeights,
      needed: setup.needed,
      stageTimeoutMs: config.stageTimeoutMs,
    });
    try {
      const fitTasks = setup.selected.map((_, i) => this.fitTask(setup, i, { homomorphic: encrypted.task }));
      return await this.collectSum(setup, (run) => encrypted.collect(run), fitTasks);
    } finally {
      encrypted.delete();
    }
  }

  private finishAttempt(
    setup: AttemptSetup,
    aggregator: RoundAggregator,
    collected: {
      readonly participants: readonly string[];
      readonly failures: readonly ClientFailure[];
      readonly numExamples: number;
      readonly fitMs: number;
      readonly aggregationMs: number;
    },
  ): AttemptOutcome {
    const { selected, needed, plan } = setup;
    const { participants, failures } = collected;
    if (participants.length < needed) {
      return this.failedAttempt(
        setup,
        `${participants.length} of ${selected.length} client(s) returned a valid result, ${needed} needed`,
        failures,
      );
    }
    const finishStart = performance.now();
    // A refused aggregate must not leave the strategy advanced (FedOpt's moments move in finish): restore it.
    const before = this.strategy.saveState();
    let output: AggregateOutput;
    try {
      output = aggregator.finish(failures);
    } catch (error) {
      // Whatever the strategy throws (too few results for a robust rule, a bug) fails this attempt, never the run:
      // it is recorded and retried like a short round.
      this.strategy.loadState(before);
      const message = error instanceof Error ? error.message : String(error);
      return this.failedAttempt(setup, `${AGGREGATION_FAILED}: ${message}`, failures);
    }
    const refusal = aggregateRefusal(this.strategy.name, setup.global, output.params);
    if (refusal) {
      this.strategy.loadState(before);
      return this.failedAttempt(
        setup,
        `${AGGREGATION_FAILED}: the aggregate was refused: ${refusal}`,
        failures,
      );
    }
    return {
      ok: true,
      selected,
      participants,
      failures,
      numExamples: collected.numExamples,
      output,
      fitMs: collected.fitMs,
      aggregationMs: collected.aggregationMs + performance.now() - finishStart,
      privacy: plan && { plan, aggregator },
    };
  }

  /**
   * This attempt's clients and the number the privacy analysis expects: the selection size for fixed-size sampling,
   * rate x available for Poisson sampling (each client drawn independently, in sorted id order).
   */
  private select(
    round: number,
    attempt: number,
    available: readonly string[],
  ): { chosen: string[]; expected: number } {
    const rng = this.root.split('select', round, attempt);
    if (this.config.clientSampling === 'poisson') {
      const rate = poissonRate(this.config, available.length);
      return { chosen: available.filter(() => rng.next() < rate), expected: rate * available.length };
    }
    const size = selectionSize(this.config, available.length);
    return { chosen: rng.sample(available, size), expected: size };
  }

  private proposal(round: number, clientId: string): FitAssignment {
    const c = this.config;
    const config: FitConfig = {
      round,
      // Depends on (run seed, round, client) only: the same client trains identically on any worker or attempt.
      seed: this.root.split('client', round, clientId).nextUint32(),
      localEpochs: c.localEpochs,
      batchSize: c.batchSize,
      learningRate: c.learningRate,
      optimizer: c.optimizer,
      momentum: c.momentum,
    };
    return { clientId, config };
  }

  /** A strategy may drop selected clients but not add or repeat any. */
  private checkAssignments(assignments: readonly FitAssignment[], chosen: readonly string[]): string[] {
    const allowed = new Set(chosen);
    const seen = new Set<string>();
    for (const { clientId } of assignments) {
      if (!allowed.has(clientId) || seen.has(clientId)) {
        throw new FlotillaError(
          'STRATEGY_FAILED',
          `strategy "${this.strategy.name}" assigned client "${clientId}", which was not selected or appears twice`,
        );
      }
      seen.add(clientId);
    }
    return assignments.map((a) => a.clientId);
  }

  private async maybeServerEvaluate(
    round: number,
    params: ParameterSet,
  ): Promise<EvaluateOutput | undefined> {
    if (!this.serverEvaluate || !this.isDue(round, this.config.serverEvaluateEvery)) return undefined;
    const result = await this.serverEvaluate(params, round);
    this.events.emit('evaluation', { round, kind: 'server', result });
    return result;
  }

  private async federatedEvaluate(
    round: number,
    params: ParameterSet,
    traffic: Traffic,
  ): Promise<FederatedEvaluation> {
    const available = sortedIds(this.pool.available().map((c) => c.id));
    const count = Math.min(
      available.length,
      Math.ceil(this.config.fractionEvaluate * available.length - 1e-9),
    );
    const selected = this.root.split('evaluate', round).sample(available, count);
    const config = { round, batchSize: this.config.batchSize };
    const tasks = selected.map((clientId, i) => {
      const taskId = `${round}.eval.${i}`;
      return {
        clientId,
        taskId,
        frame: encodeMessage({ type: 'evaluate-task', round, taskId, config, params }),
      };
    });
    const results: ClientEvaluation[] = [];
    const failures = await this.dispatch(
      'evaluate',
      round,
      tasks,
      this.config.evaluateDeadlineMs,
      traffic,
      (frame, task) => {
        const checked = readEvaluateReply(frame, task, this.limits);
        if (!checked.ok) return checked;
        // Evaluation is weighted by examples too: one inflated claim would set the round's reported loss alone.
        const refused = this.bounds.countRefusal(task.clientId, checked.value.numExamples);
        if (refused) return { ok: false, failure: refused };
        results.push({ clientId: task.clientId, output: checked.value });
        const { numExamples, loss, metrics, resources } = checked.value;
        return {
          ok: true,
          value: { numExamples, metrics: { loss, ...metrics }, ...(resources ? { resources } : {}) },
        };
      },
    );
    const result = summarizeFederatedEvaluation(round, selected.length, results, failures);
    this.events.emit('evaluation', { round, kind: 'federated', result });
    return result;
  }

  /**
   * Sends `tasks` through the pool and hands each reply to `accept`, which validates and consumes it and returns the
   * number of examples or a failure. Returns every failure, including tasks the pool never answered.
   */
  private async dispatch(
    phase: TaskPhase,
    round: number,
    tasks: readonly TaskEnvelope[],
    deadlineMs: number,
    traffic: Traffic,
    accept: AcceptReply,
  ): Promise<ClientFailure[]> {
    const pending = new Map<string, SentTask>();
    for (const t of tasks) {
      pending.set(t.taskId, { clientId: t.clientId, taskId: t.taskId, round });
      // Counted before dispatch: a worker pool transfers (detaches) the frames it sends.
      traffic.sent += t.frame.byteLength;
    }
    const failures: ClientFailure[] = [];
    const failed = (failure: ClientFailure) => {
      failures.push(failure);
      this.events.emit('client-failed', { round, phase, failure });
    };
    if (tasks.length === 0) return failures;
    const outcomes: AsyncIterable<TaskOutcome> = this.pool.dispatch(tasks, {
      deadline: Date.now() + deadlineMs,
    });
    for await (const outcome of outcomes) {
      const task = pending.get(outcome.taskId);
      if (!task) continue; // not a task of this dispatch, or already answered: nothing to account for
      pending.delete(outcome.taskId);
      if (outcome.kind === 'failed') {
        failed({ clientId: task.clientId, cause: outcome.cause, message: outcome.message });
        continue;
      }
      traffic.received += outcome.frame.byteLength;
      const accepted = await accept(outcome.frame, task);
      if (!accepted.ok) {
        failed(accepted.failure);
        continue;
      }
      const { numExamples, metrics, resources } = accepted.value;
      this.events.emit('client-result', {
        round,
        phase,
        clientId: task.clientId,
        numExamples,
        ...(metrics ? { metrics } : {}),
        ...(resources ? { resources } : {}),
        durationMs: outcome.durationMs,
      });
    }
    for (const task of pending.values()) {
      failed({
        clientId: task.clientId,
        cause: 'transport-error',
        message: 'the pool yielded no outcome for this task',
      });
    }
    return failures;
  }
}

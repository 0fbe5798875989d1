/**
 * DP-FedAvg (McMahan, Ramage, Talwar and Zhang 2018) as a PrivacyPolicy. Every client update is clipped to L2 norm C
 * (by the client, which is sent `clipNorm`, or by a trusted server; the server re-clips in both modes, which is a
 * no-op for an honest client and keeps the bound against one that is not). The clipped updates are summed with equal
 * weights and divided by a fixed m (the sampled count for fixed-size sampling, its expectation q N for Poisson,
 * where the actual count is itself private), N(0, (z C / m)^2) is added to every coordinate, and the noised
 * average is handed to the strategy as one result, so its server optimizer (FedAvg, FedAvgM, FedAdam...) is
 * post-processing. Each committed round is one step of the sampled Gaussian mechanism with the matching analysis.
 *
 * With adaptive clipping (Andrew et al. 2021) clients also report whether they were clipped, the server updates C
 * from the noised count, and the round is still one step at the total multiplier z (their Theorem 1).
 *
 * Noise: a seeded stream per round (`noiseSeed`, for reproducible simulations: not private, anyone with the seed can
 * subtract the noise) or SecureNoise from the platform CSPRNG (the default, and the only choice for real data).
 */
import { FlotillaError, ParameterSet, Rng, type FitConfig, type MetricValues } from '../core/index.js';
import {
  AdaptiveClipping,
  CentralGaussianNoise,
  CLIPPED_METRIC,
  PrivacyAccountant,
  SecureNoise,
  SeededNoise,
  clipUpdate,
  type ClientSampling,
  type Conversion,
  type LedgerEntry,
  type NoiseSource,
  type PrivacyBudget,
} from '../privacy/index.js';
import type {
  AggregateOutput,
  ClientFailure,
  ClientFitResult,
  RoundAggregator,
  RoundContext,
  SecureSum,
} from '../strategy/strategy.js';
import type { ClientSamplingKind } from './config.js';
import {
  assertSameMechanism,
  type PrivacyCheckpoint,
  type PrivacyPolicy,
  type PrivacyRoundPlan,
  type RoundPrivacy,
} from './privacy.js';

export interface AdaptiveClipOptions {
  /** gamma: the fraction of updates that should be unclipped; Andrew et al. use 0.5. */
  readonly targetQuantile: number;
  /** eta_C: step of the geometric update of C; Andrew et al. use 0.2. */
  readonly learningRate: number;
  /**
   * sigma_b, the noise on the count of unclipped clients. Default max(m / 20, z): the paper's m / 20, raised to z
   * when that is too small to leave budget for the update (it must exceed z / 2).
   */
  readonly countNoiseStddev?: number;
}

export interface DpFedAvgOptions {
  /** z: total noise multiplier (on the update sum; with adaptive clipping, shared with the count). */
  readonly noiseMultiplier: number;
  /** C, or its starting value with adaptive clipping. */
  readonly clipNorm: number;
  /** Who clips: the client before sending ('client', default) or a trusted server on receipt ('server'). */
  readonly clipOn?: 'client' | 'server';
  /**
   * Who adds the noise: the server after aggregation ('server', default; after unmasking under secure aggregation),
   * or the clients ('clients': distributed DP, needs secure aggregation): each adds its share so that the sum of the
   * fewest results a round commits with carries the full noise, and the server never sees an unnoised sum.
   */
  readonly noiseOn?: 'server' | 'clients';
  /** Must equal the engine config's clientSampling. */
  readonly sampling: ClientSamplingKind;
  /** Stop before a round that would exceed it. */
  readonly budget?: PrivacyBudget;
  /** Delta at which epsilon is reported; default budget.delta (one of the two is required). */
  readonly delta?: number;
  readonly adaptive?: AdaptiveClipOptions;
  /** Seed of a reproducible noise stream (simulation only); absent means SecureNoise. */
  readonly noiseSeed?: number;
  readonly conversion?: Conversion;
}

interface DpFedAvgState {
  readonly accountant: unknown;
  readonly clipNorm: number;
}

/** The stage that noises this round's average: plain central noise, or adaptive clipping (noise + count). */
type RoundStage = CentralGaussianNoise | AdaptiveClipping;

class DpFedAvgPlan implements PrivacyRoundPlan {
  readonly allowsEmptyRound: boolean;
  /** True when clients are sent C and clip (and report) themselves. */
  readonly clientClips: boolean;

  constructor(
    readonly round: number,
    readonly epsilonAfter: number,
    readonly entries: readonly LedgerEntry[],
    readonly stage: RoundStage,
    readonly clipNorm: number,
    clipOnClient: boolean,
    readonly noiseOnClients: boolean,
  ) {
    this.allowsEmptyRound = stage.sampling.kind === 'poisson';
    // Adaptive clipping needs each client's bit whoever clips, so the client always learns C then.
    this.clientClips = clipOnClient || stage instanceof AdaptiveClipping;
  }

  configure(config: FitConfig, _clientId: string, contributors: number): FitConfig {
    if (!this.clientClips) return config;
    if (!this.noiseOnClients) return { ...config, clipNorm: this.clipNorm };
    // The noise on the average is N(0, stddev^2): on the sum, (stddev m)^2, split over the fewest contributors.
    const share =
      (this.stage.stddev * this.stage.sampling.clientsPerRound) / Math.sqrt(Math.max(1, contributors));
    return { ...config, clipNorm: this.clipNorm, distributedNoiseStddev: share };
  }

  wrap(inner: RoundAggregator, context: RoundContext): RoundAggregator {
    return new DpAggregator(inner, context, this);
  }
}

/** Clips, sums with equal weights, and on finish hands the noised fixed-denominator mean to the strategy. */
export class DpAggregator implements RoundAggregator {
  private readonly sum: Float64Array;
  private readonly metricSums = new Map<string, number>();
  private count = 0;
  private examples = 0;
  private unclipped = 0;
  /** Set by finish: the adaptive update of C, applied only if the round commits. */
  nextClipNorm: number | undefined;
  unclippedFraction: number | undefined;

  constructor(
    private readonly inner: RoundAggregator,
    private readonly context: RoundContext,
    private readonly plan: DpFedAvgPlan,
  ) {
    this.sum = new Float64Array(context.global.size);
  }

  add(result: ClientFitResult): void {
    // The decoded update is this aggregator's own copy: clipping it in place changes nothing the client sent.
    const clip = clipUpdate(result.update, this.plan.clipNorm);
    const data = result.update.data;
    for (let i = 0; i < data.length; i++) this.sum[i] = this.sum[i]! + data[i]!;
    this.countClient(result, clip.clipped);
  }

  /** Counts a client, its examples and metrics, and whether it was clipped (by the server or by itself). */
  private countClient(
    result: Pick<ClientFitResult, 'numExamples' | 'metrics'>,
    clippedByServer: boolean,
  ): void {
    // A client sent C reports its bit; a missing report counts as clipped (b_i = 0), the conservative reading.
    const clientClipped = this.plan.clientClips && result.metrics[CLIPPED_METRIC] !== 0;
    if (!clippedByServer && !clientClipped) this.unclipped += 1;
    this.count += 1;
    this.examples += result.numExamples;
    for (const [name, value] of Object.entries(result.metrics)) {
      this.metricSums.set(name, (this.metricSums.get(name) ?? 0) + value * result.numExamples);
    }
  }

  /**
   * A securely summed round: the clients clipped (and, with distributed DP, noised) their updates before masking,
   * so the server adds the sum as it is; it cannot re-clip updates it never sees.
   */
  addSecureSum(sum: SecureSum): void {
    if (sum.weightTotal !== sum.contributions.length) {
      throw new FlotillaError(
        'STRATEGY_FAILED',
        `DP-FedAvg sums with unit weights, but the secure sum has total weight ${sum.weightTotal} for ` +
          `${sum.contributions.length} clients`,
      );
    }
    const data = sum.weightedSum.data;
    for (let i = 0; i < data.length; i++) this.sum[i] = this.sum[i]! + data[i]!;
    for (const c of sum.contributions) this.countClient(c, false);
  }

  finish(failures: readonly ClientFailure[]): AggregateOutput {
    const { stage } = this.plan;
    const m = stage.sampling.clientsPerRound;
    const average = new ParameterSet(this.context.global.layout);
    for (let i = 0; i < this.sum.length; i++) average.data[i] = this.sum[i]! / m;
    if (this.plan.noiseOnClients) {
      // The clients' shares are already in the sum.
    } else if (stage instanceof AdaptiveClipping) {
      stage.noiseAverage(average);
      const update = stage.updateClipNorm(this.unclipped);
      this.nextClipNorm = update.clipNorm;
      this.unclippedFraction = update.noisyUnclippedFraction;
    } else {
      stage.apply(average);
    }
    const metrics: MetricValues = {};
    if (this.examples > 0) {
      for (const [name, total] of this.metricSums) metrics[name] = total / this.examples;
    }
    this.inner.add({
      clientId: 'dp-fedavg',
      // The strategy sees one result; its weight is irrelevant but must be positive for weighted means.
      numExamples: Math.max(1, this.examples),
      localSteps: 0,
      metrics,
      update: average,
    });
    const output = this.inner.finish(failures);
    return {
      params: output.params,
      metrics: { ...output.metrics, [CLIPPED_METRIC]: 1 - this.unclipped / Math.max(1, this.count) },
    };
  }
}

export class DpFedAvgPolicy implements PrivacyPolicy {
  readonly mechanism = 'dp-fedavg';
  readonly sampling: ClientSamplingKind;
  readonly meanOnly = true;
  readonly exampleLevel = false;
  readonly delta: number;
  readonly budget: PrivacyBudget | undefined;
  /** z: the total noise multiplier on the update sum, in units of the clip norm. */
  readonly noiseMultiplier: number;
  private readonly options: DpFedAvgOptions;
  private accountant: PrivacyAccountant;
  private clipNorm: number;
  private readonly secureNoise: NoiseSource | undefined;

  constructor(options: DpFedAvgOptions) {
    const delta = options.delta ?? options.budget?.delta;
    if (delta === undefined || !(delta > 0 && delta < 1)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `DP-FedAvg needs a delta in (0, 1) (a budget's or its own), got ${String(delta)}`,
      );
    }
    if (options.budget && !(options.budget.epsilon > 0)) {
      throw new FlotillaError('CONFIG_INVALID', `target epsilon must be > 0, got ${options.budget.epsilon}`);
    }
    this.options = options;
    this.noiseMultiplier = options.noiseMultiplier;
    // Validates z, C and the adaptive settings once, before any round runs.
    this.stageFor({ kind: options.sampling, rate: 1, clientsPerRound: 1e6 }, options.clipNorm, undefined);
    this.sampling = options.sampling;
    this.delta = delta;
    this.budget = options.budget;
    if (options.noiseOn === 'clients' && options.adaptive) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        'distributed DP (noise added by the clients) does not support adaptive clipping: its count noise is the ' +
          "server's; use a fixed clip norm",
      );
    }
    this.accountant = new PrivacyAccountant(options.conversion ? { conversion: options.conversion } : {});
    this.clipNorm = options.clipNorm;
    this.secureNoise = options.noiseSeed === undefined ? new SecureNoise() : undefined;
  }

  secureAggregation(enabled: boolean): { readonly refusal?: string; readonly unitWeights: boolean } {
    const clipOn = this.options.clipOn ?? 'client';
    const noiseOn = this.options.noiseOn ?? 'server';
    if (enabled && clipOn === 'server') {
      return {
        refusal:
          'DP-FedAvg with clipOn "server" cannot run under secure aggregation: the server never sees an ' +
          'update to clip; clip on the clients',
        unitWeights: true,
      };
    }
    if (!enabled && noiseOn === 'clients') {
      return {
        refusal:
          'distributed DP (noiseOn "clients") needs secure aggregation: unmasked, each update would carry ' +
          'only its small share of the noise',
        unitWeights: true,
      };
    }
    // The sensitivity analysis sums clipped updates with equal weights.
    return { unitWeights: true };
  }

  planRound(round: number, available: number, expected: number): PrivacyRoundPlan {
    if (available < 1) {
      throw new FlotillaError('INVALID_ARGUMENT', 'DP-FedAvg cannot plan a round with no available clients');
    }
    const m = Math.max(expected, Number.MIN_VALUE);
    const sampling: ClientSampling = {
      kind: this.sampling,
      rate: Math.min(1, m / available),
      clientsPerRound: m,
    };
    const stage = this.stageFor(sampling, this.clipNorm, this.noiseFor(round));
    const entries = stage.privacyCost().entries;
    const after = PrivacyAccountant.fromJSON(this.accountant.toJSON());
    for (const entry of entries) after.add(entry);
    return new DpFedAvgPlan(
      round,
      after.getEpsilon(this.delta).epsilon,
      entries,
      stage,
      this.clipNorm,
      (this.options.clipOn ?? 'client') === 'client',
      this.options.noiseOn === 'clients',
    );
  }

  commit(plan: PrivacyRoundPlan, aggregator: RoundAggregator): RoundPrivacy {
    if (!(plan instanceof DpFedAvgPlan) || !(aggregator instanceof DpAggregator)) {
      throw new FlotillaError('INVALID_ARGUMENT', 'DP-FedAvg can only commit its own plans and aggregators');
    }
    for (const entry of plan.entries) this.accountant.add({ ...entry, label: `round ${plan.round}` });
    if (aggregator.nextClipNorm !== undefined) this.clipNorm = aggregator.nextClipNorm;
    const details: Record<string, number | string> = {
      clipOn: this.options.clipOn ?? 'client',
      // Which party's noise the accountant charges: the server's after aggregation, or the clients' shares.
      noiseOn: this.options.noiseOn ?? 'server',
      clipNorm: plan.clipNorm,
      noiseStddev: plan.stage.stddev,
      noiseMultiplier: this.options.noiseMultiplier,
      sampling: plan.stage.sampling.kind,
      samplingRate: plan.stage.sampling.rate,
      denominator: plan.stage.sampling.clientsPerRound,
      noise: plan.stage.parameters()['noise'] as string,
    };
    if (aggregator.unclippedFraction !== undefined) {
      details['noisyUnclippedFraction'] = aggregator.unclippedFraction;
      details['nextClipNorm'] = this.clipNorm;
    }
    return {
      mechanism: this.mechanism,
      epsilon: this.spent(),
      delta: this.delta,
      ...(this.budget ? { budget: this.budget } : {}),
      details,
    };
  }

  spent(): number {
    return this.accountant.entries.length === 0 ? 0 : this.accountant.getEpsilon(this.delta).epsilon;
  }

  checkpoint(round: number): PrivacyCheckpoint {
    const state: DpFedAvgState = { accountant: this.accountant.toJSON(), clipNorm: this.clipNorm };
    return { mechanism: this.mechanism, round, epsilon: this.spent(), delta: this.delta, state };
  }

  restore(checkpoint: PrivacyCheckpoint): void {
    assertSameMechanism(checkpoint, this.mechanism);
    const state = checkpoint.state as Partial<DpFedAvgState> | null;
    if (typeof state?.clipNorm !== 'number' || !(state.clipNorm > 0)) {
      throw new FlotillaError('INVALID_ARGUMENT', 'DP-FedAvg checkpoint has no valid clip norm');
    }
    this.accountant = PrivacyAccountant.fromJSON(state.accountant);
    this.clipNorm = state.clipNorm;
  }

  private noiseFor(round: number): NoiseSource {
    const seed = this.options.noiseSeed;
    // Per round from the seed alone, so a resumed run draws the same noise as an uninterrupted one.
    return seed === undefined ? this.secureNoise! : new SeededNoise(new Rng(seed).split('dp-noise', round));
  }

  private stageFor(sampling: ClientSampling, clipNorm: number, noise: NoiseSource | undefined): RoundStage {
    const source = noise ?? new SeededNoise(new Rng(0));
    const { adaptive, noiseMultiplier: z } = this.options;
    if (!adaptive) return new CentralGaussianNoise({ noiseMultiplier: z, clipNorm, sampling, noise: source });
    return new AdaptiveClipping({
      initialClipNorm: clipNorm,
      targetQuantile: adaptive.targetQuantile,
      learningRate: adaptive.learningRate,
      countNoiseStddev: adaptive.countNoiseStddev ?? Math.max(sampling.clientsPerRound / 20, z),
      noiseMultiplier: z,
      sampling,
      noise: source,
    });
  }
}

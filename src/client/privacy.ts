/**
 * The client's privacy pipeline stage (DESIGN principle 6), run on the update just before it leaves: clipping for
 * DP-FedAvg (FitConfig.clipNorm), clipping plus local Gaussian noise for local DP (clipNorm and
 * localNoiseMultiplier), and the accounting of what leaves: local DP and DP-SGD releases are charged to this
 * client's own ledger, and an update that would take the ledger over the client's budget is not sent at all
 * (nothing released, nothing spent). The client reports its epsilon and whether it clipped as reserved metrics.
 * DP-SGD (exampleNoiseMultiplier) runs inside the trainer; the runtime accounts it from what the trainer reports
 * (privacy/dp/client-cost.ts).
 */
import { FlotillaError, Rng, type FitConfig, type FitOutput, type ParameterSet } from '../core/index.js';
import { PrivacyAccountant, type PrivacyBudget } from '../privacy/accountant/index.js';
import {
  CLIENT_EPSILON_METRIC,
  CLIPPED_METRIC,
  LocalGaussianNoise,
  SecureNoise,
  SeededNoise,
  clientReleaseCost,
  clipUpdate,
  type NoiseSource,
} from '../privacy/dp/index.js';

/**
 * How much secure aggregation's stochastic rounding can lengthen a clipped update before the server adds central
 * noise: under 1 step per coordinate, so at most sqrt(d) steps in L2. Clipping to C minus this keeps the rounded
 * update within the C the accountant assumes. Noise added before rounding (local or distributed DP) makes the
 * rounding post-processing, so it needs no margin.
 */
export function quantizationMargin(config: FitConfig, dimension: number): number {
  const secure = config.secureAggregation;
  if (!secure || config.localNoiseMultiplier !== undefined || config.distributedNoiseStddev !== undefined)
    return 0;
  const step = (2 * secure.clippingRange) / (2 ** secure.quantizationBits - 1);
  const margin = Math.sqrt(dimension) * step;
  if (config.clipNorm !== undefined && margin >= config.clipNorm) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `secure aggregation's rounding (up to ${margin.toPrecision(3)} in L2 over ${dimension} values) exceeds the ` +
        `clip norm ${config.clipNorm}: raise quantizationBits or lower clippingRange`,
    );
  }
  return margin;
}

/** 'secure': the platform CSPRNG (real clients). 'seeded': from the task's seed (reproducible simulations only). */
export type ClientNoise = 'secure' | 'seeded';

/** The delta at which a client reports epsilon when neither its budget nor the FitConfig names one. */
const DEFAULT_REPORT_DELTA = 1e-5;

/**
 * Where a client keeps its own ledger between runs of its process (a file in Node, IndexedDB in a browser): a client
 * restarted after a crash must not forget what it already released. `load` returns undefined when there is no
 * ledger yet and throws when there is one it cannot read (forgetting spending is never the safe fallback).
 */
export interface PrivacyLedgerStore {
  load(): Promise<unknown>;
  save(snapshot: unknown): Promise<void>;
}

export class ClientPrivacy {
  /** This client's own ledger: local DP and DP-SGD releases. */
  private ledger = new PrivacyAccountant();
  private secure: NoiseSource | undefined;

  constructor(
    private readonly noise: ClientNoise,
    readonly budget: PrivacyBudget | undefined,
  ) {}

  get accountant(): PrivacyAccountant {
    return this.ledger;
  }

  /** Continues the ledger saved by an earlier run of this client (`accountant.toJSON()`). */
  restore(snapshot: unknown): void {
    this.ledger = PrivacyAccountant.fromJSON(snapshot);
  }

  /**
   * Clips/noises `update` in place as the config asks and charges the release; returns the metrics to report.
   * Throws PRIVACY_BUDGET_EXHAUSTED when the release would exceed this client's budget.
   */
  process(update: ParameterSet, config: FitConfig, out: FitOutput): Record<string, number> {
    const metrics: Record<string, number> = {};
    if (config.localNoiseMultiplier !== undefined && config.clipNorm === undefined) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'local DP needs clipNorm together with localNoiseMultiplier',
      );
    }
    const entries = clientReleaseCost(config, out.numExamples, out.localSteps);
    const delta = this.budget?.delta ?? config.privacyDelta ?? DEFAULT_REPORT_DELTA;
    if (entries.length > 0 && this.budget) {
      const after = PrivacyAccountant.fromJSON(this.ledger.toJSON());
      for (const entry of entries) after.add(entry);
      const epsilon = after.getEpsilon(this.budget.delta).epsilon;
      if (epsilon > this.budget.epsilon) {
        throw new FlotillaError(
          'PRIVACY_BUDGET_EXHAUSTED',
          `sending this update would bring this client's epsilon to ${epsilon.toFixed(4)}, above its budget ` +
            `${this.budget.epsilon} at delta ${this.budget.delta}; the update was not sent`,
        );
      }
    }
    if (config.clipNorm !== undefined) {
      const clip =
        config.localNoiseMultiplier === undefined
          ? clipUpdate(update, config.clipNorm - quantizationMargin(config, update.size))
          : new LocalGaussianNoise({
              clipNorm: config.clipNorm,
              noiseMultiplier: config.localNoiseMultiplier,
              noise: this.noiseFor(config),
            }).apply(update);
      metrics[CLIPPED_METRIC] = clip.clipped ? 1 : 0;
    }
    if (config.distributedNoiseStddev !== undefined) this.addNoiseShare(update, config);
    for (const entry of entries) this.ledger.add({ ...entry, label: `round ${config.round}` });
    if (this.ledger.entries.length > 0) {
      metrics[CLIENT_EPSILON_METRIC] = this.ledger.getEpsilon(delta).epsilon;
    }
    return metrics;
  }

  /**
   * Distributed DP: this client's share of the noise on the securely summed round. Alone it protects nothing (the
   * sum carries the full noise, one share does not), which is why it is only sent masked and why it is charged to
   * the server's accountant rather than this client's ledger.
   */
  private addNoiseShare(update: ParameterSet, config: FitConfig): void {
    if ((!config.secureAggregation && !config.homomorphic) || config.clipNorm === undefined) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'distributed DP noise needs secure or homomorphic aggregation and clipNorm: sent in the clear, a single ' +
          'noise share would leave the update under-protected',
      );
    }
    this.noiseFor(config, 'distributed-dp').addGaussian(update.data, config.distributedNoiseStddev!);
  }

  private noiseFor(config: FitConfig, stream = 'local-dp'): NoiseSource {
    if (this.noise === 'seeded') return new SeededNoise(new Rng(config.seed).split(stream));
    this.secure ??= new SecureNoise();
    return this.secure;
  }
}

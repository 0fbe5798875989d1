/**
 * Adaptive clipping for DP-FedAvg (Andrew, Thakkar, McMahan and Ramaswamy 2021, "Differentially Private Learning
 * with Adaptive Clipping"): instead of fixing the clip norm C, track the gamma-quantile of the update norms.
 * Each round, every sampled client also reports b_i = 1 if its update norm was <= C (before clipping), and the
 * server updates C geometrically from a noised fraction of such clients:
 *   b~ = (sum_i b_i + N(0, sigma_b^2)) / m,    C <- C * exp(-eta_C * (b~ - gamma)).
 * The count is a second query on the same clients, so it has a privacy price. Andrew et al. (Theorem 1) show that
 * noising the update sum with multiplier z_delta and the count with sigma_b costs the same as non-adaptive
 * DP-FedAvg with multiplier z where z^-2 = z_delta^-2 + (2 sigma_b)^-2. So for a target z the update gets
 *   z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2),
 * which requires sigma_b > z / 2 (they suggest sigma_b = m / 20), and the round is accounted as one sampled-Gaussian
 * step with multiplier z.
 */
import { FlotillaError } from '../../core/errors.js';
import type { ParameterSet } from '../../core/parameters.js';
import { assertNoiseMultiplier } from './central-noise.js';
import { assertClipNorm, clipUpdate, type ClipResult } from './clipping.js';
import type { NoiseSource } from './noise.js';
import { accountedNoiseMultiplier, assertSampling, type ClientSampling } from './sampling.js';
import type { PrivacyCost, PrivacyStage, StageParameters } from './stage.js';

export interface AdaptiveClippingOptions {
  /** C at the first round (or the saved value when resuming a run). */
  readonly initialClipNorm: number;
  /** gamma: the fraction of updates that should end up unclipped, in [0, 1]; the paper's default is 0.5. */
  readonly targetQuantile: number;
  /** eta_C: step size of the geometric update; the paper uses 0.2. */
  readonly learningRate: number;
  /** sigma_b: standard deviation of the noise on the count of unclipped updates. */
  readonly countNoiseStddev: number;
  /** z: the total noise multiplier the round is accounted with. */
  readonly noiseMultiplier: number;
  readonly sampling: ClientSampling;
  readonly noise: NoiseSource;
}

export interface ClipNormUpdate {
  /** The noised fraction b~ of clients whose update was within the old clip norm. */
  readonly noisyUnclippedFraction: number;
  readonly previousClipNorm: number;
  readonly clipNorm: number;
}

/** z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2), the multiplier left for the update once the count has taken its share. */
export function adaptiveUpdateNoiseMultiplier(noiseMultiplier: number, countNoiseStddev: number): number {
  const remaining = noiseMultiplier ** -2 - (2 * countNoiseStddev) ** -2;
  if (!(remaining > 0)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `count noise stddev ${countNoiseStddev} must exceed half the noise multiplier (${noiseMultiplier / 2}) ` +
        'for adaptive clipping to leave any privacy budget for the update',
    );
  }
  return remaining ** -0.5;
}

export class AdaptiveClipping implements PrivacyStage {
  readonly name = 'adaptive-clip';
  readonly targetQuantile: number;
  readonly learningRate: number;
  readonly countNoiseStddev: number;
  readonly noiseMultiplier: number;
  /** z_delta: the multiplier of the noise on the update sum. */
  readonly updateNoiseMultiplier: number;
  readonly sampling: ClientSampling;
  private readonly noise: NoiseSource;
  private currentClipNorm: number;

  constructor(options: AdaptiveClippingOptions) {
    assertClipNorm(options.initialClipNorm);
    assertNoiseMultiplier(options.noiseMultiplier);
    assertSampling(options.sampling);
    const { targetQuantile, learningRate, countNoiseStddev } = options;
    if (!(targetQuantile >= 0 && targetQuantile <= 1)) {
      throw new FlotillaError('INVALID_ARGUMENT', `target quantile must be in [0, 1], got ${targetQuantile}`);
    }
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `clip learning rate must be finite and > 0, got ${learningRate}`,
      );
    }
    if (!(countNoiseStddev > 0) || !Number.isFinite(countNoiseStddev)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `count noise stddev must be finite and > 0, got ${countNoiseStddev}`,
      );
    }
    this.targetQuantile = targetQuantile;
    this.learningRate = learningRate;
    this.countNoiseStddev = countNoiseStddev;
    this.noiseMultiplier = options.noiseMultiplier;
    this.updateNoiseMultiplier = adaptiveUpdateNoiseMultiplier(options.noiseMultiplier, countNoiseStddev);
    this.sampling = options.sampling;
    this.noise = options.noise;
    this.currentClipNorm = options.initialClipNorm;
  }

  /** The clip norm of the current round (send it to the clients; save it in checkpoints). */
  get clipNorm(): number {
    return this.currentClipNorm;
  }

  /** Client side: clips the update to the current norm; `!result.clipped` is the client's bit b_i. */
  clip(update: ParameterSet): ClipResult {
    return clipUpdate(update, this.currentClipNorm);
  }

  /** Standard deviation added to each coordinate of the average this round: z_delta C / m. */
  get stddev(): number {
    return (this.updateNoiseMultiplier * this.currentClipNorm) / this.sampling.clientsPerRound;
  }

  /** Server side, before `updateClipNorm`: noises the average of this round's clipped updates in place. */
  noiseAverage(average: ParameterSet): ParameterSet {
    this.noise.addGaussian(average.data, this.stddev);
    return average;
  }

  /** Server side, once per round: the geometric update from the number of clients that reported b_i = 1. */
  updateClipNorm(unclippedCount: number): ClipNormUpdate {
    if (!(unclippedCount >= 0) || !Number.isFinite(unclippedCount)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `unclipped count must be finite and >= 0, got ${unclippedCount}`,
      );
    }
    const noisyCount = unclippedCount + this.countNoiseStddev * this.noise.standardNormal();
    const fraction = noisyCount / this.sampling.clientsPerRound;
    const previousClipNorm = this.currentClipNorm;
    this.currentClipNorm = previousClipNorm * Math.exp(-this.learningRate * (fraction - this.targetQuantile));
    return { noisyUnclippedFraction: fraction, previousClipNorm, clipNorm: this.currentClipNorm };
  }

  parameters(): StageParameters {
    return {
      clipNorm: this.currentClipNorm,
      targetQuantile: this.targetQuantile,
      learningRate: this.learningRate,
      countNoiseStddev: this.countNoiseStddev,
      noiseMultiplier: this.noiseMultiplier,
      updateNoiseMultiplier: this.updateNoiseMultiplier,
      sampling: this.sampling.kind,
      samplingRate: this.sampling.rate,
      clientsPerRound: this.sampling.clientsPerRound,
      noise: this.noise.name,
    };
  }

  /** Update sum and clipped count together cost one sampled-Gaussian step at the total z (Theorem 1). */
  privacyCost(): PrivacyCost {
    const { kind, rate } = this.sampling;
    return {
      scope: 'central',
      entries: [
        {
          mechanism: 'sampled-gaussian',
          sampling: kind,
          q: rate,
          z: accountedNoiseMultiplier(this.noiseMultiplier, kind),
          steps: 1,
        },
      ],
      description:
        `one round of DP-FedAvg with adaptive clipping (Andrew et al. 2021): update noise ${this.updateNoiseMultiplier} ` +
        `and count noise ${this.countNoiseStddev} together equal noise multiplier ${this.noiseMultiplier}` +
        (kind === 'fixed-size' ? ' (replace-one adjacency: accounted as z / 2)' : ''),
    };
  }
}

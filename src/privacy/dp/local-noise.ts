/**
 * Local differential privacy: each client clips its own update to C and adds N(0, (z C)^2) to every coordinate
 * before the update leaves the device, so that the server (or anyone on the way) only ever sees a noised update.
 * The guarantee protects the client's whole contribution against everyone: two possible updates of the same
 * client differ by at most 2C in L2 (both lie in the ball of radius C), so each release is a Gaussian mechanism with
 * multiplier z / 2, charged to that client's own ledger every round it takes part in (no sampling amplification is
 * claimed: the client knows it was selected).
 */
import type { ParameterSet } from '../../core/parameters.js';
import { assertNoiseMultiplier } from './central-noise.js';
import { assertClipNorm, clipUpdate, type ClipResult } from './clipping.js';
import type { NoiseSource } from './noise.js';
import type { PrivacyCost, PrivacyStage, StageParameters } from './stage.js';

export interface LocalNoiseOptions {
  readonly clipNorm: number;
  /** z: noise standard deviation per coordinate, in units of the clip norm. */
  readonly noiseMultiplier: number;
  readonly noise: NoiseSource;
}

export class LocalGaussianNoise implements PrivacyStage {
  readonly name = 'local-gaussian';
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
  private readonly noise: NoiseSource;

  constructor(options: LocalNoiseOptions) {
    assertClipNorm(options.clipNorm);
    assertNoiseMultiplier(options.noiseMultiplier);
    this.clipNorm = options.clipNorm;
    this.noiseMultiplier = options.noiseMultiplier;
    this.noise = options.noise;
  }

  /** Standard deviation added to each coordinate: z C. */
  get stddev(): number {
    return this.noiseMultiplier * this.clipNorm;
  }

  /** Clips `update` and noises it, in place; reports the clipping. */
  apply(update: ParameterSet): ClipResult {
    const result = clipUpdate(update, this.clipNorm);
    this.noise.addGaussian(update.data, this.stddev);
    return result;
  }

  parameters(): StageParameters {
    return { clipNorm: this.clipNorm, noiseMultiplier: this.noiseMultiplier, noise: this.noise.name };
  }

  privacyCost(): PrivacyCost {
    return {
      scope: 'local',
      entries: [{ mechanism: 'gaussian', z: this.noiseMultiplier / 2, steps: 1 }],
      description:
        `per client and round: update clipped to ${this.clipNorm} and noised with ${this.noiseMultiplier} x clip ` +
        'norm; any two updates of a client differ by at most 2 x clip norm, so accounted as z / 2',
    };
  }
}

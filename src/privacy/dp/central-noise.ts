/**
 * Central Gaussian noise for DP-FedAvg (McMahan, Ramage, Talwar and Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models"): the server averages the clipped client updates over a fixed denominator m and adds
 * N(0, (z C / m)^2) to every coordinate of that average, i.e. noise of standard deviation z C on the sum. Each
 * round is one step of the sampled Gaussian mechanism with the client sampling rate as q.
 */
import { FlotillaError } from '../../core/errors.js';
import type { ParameterSet } from '../../core/parameters.js';
import { assertClipNorm } from './clipping.js';
import type { NoiseSource } from './noise.js';
import { accountedNoiseMultiplier, assertSampling, type ClientSampling } from './sampling.js';
import type { PrivacyCost, PrivacyStage, StageParameters } from './stage.js';

export interface CentralNoiseOptions {
  /** z: noise standard deviation on the sum, in units of the clip norm. */
  readonly noiseMultiplier: number;
  /** C: the bound every client update was clipped to. */
  readonly clipNorm: number;
  readonly sampling: ClientSampling;
  readonly noise: NoiseSource;
}

export function assertNoiseMultiplier(z: number): void {
  if (!(z > 0) || !Number.isFinite(z)) {
    throw new FlotillaError('INVALID_ARGUMENT', `noise multiplier must be finite and > 0, got ${z}`);
  }
}

export class CentralGaussianNoise implements PrivacyStage {
  readonly name = 'central-gaussian';
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  readonly sampling: ClientSampling;
  private readonly noise: NoiseSource;

  constructor(options: CentralNoiseOptions) {
    assertNoiseMultiplier(options.noiseMultiplier);
    assertClipNorm(options.clipNorm);
    assertSampling(options.sampling);
    this.noiseMultiplier = options.noiseMultiplier;
    this.clipNorm = options.clipNorm;
    this.sampling = options.sampling;
    this.noise = options.noise;
  }

  /** Standard deviation added to each coordinate of the average: z C / m. */
  get stddev(): number {
    return (this.noiseMultiplier * this.clipNorm) / this.sampling.clientsPerRound;
  }

  /** Adds the noise to `average` (the sum of clipped updates divided by m) in place and returns it. */
  apply(average: ParameterSet): ParameterSet {
    this.noise.addGaussian(average.data, this.stddev);
    return average;
  }

  parameters(): StageParameters {
    return {
      noiseMultiplier: this.noiseMultiplier,
      clipNorm: this.clipNorm,
      sampling: this.sampling.kind,
      samplingRate: this.sampling.rate,
      clientsPerRound: this.sampling.clientsPerRound,
      noise: this.noise.name,
    };
  }

  privacyCost(): PrivacyCost {
    const z = accountedNoiseMultiplier(this.noiseMultiplier, this.sampling.kind);
    return {
      scope: 'central',
      entries: [
        { mechanism: 'sampled-gaussian', sampling: this.sampling.kind, q: this.sampling.rate, z, steps: 1 },
      ],
      description:
        `one round of DP-FedAvg: clients sampled (${this.sampling.kind}, rate ${this.sampling.rate}), ` +
        `updates clipped to ${this.clipNorm}, noise ${this.noiseMultiplier} x clip norm on the sum` +
        (this.sampling.kind === 'fixed-size' ? ' (replace-one adjacency: accounted as z / 2)' : ''),
    };
  }
}

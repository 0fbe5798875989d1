import { describe, expect, it } from 'vitest';
import { ParameterSet } from '../../core/parameters.js';
import { Rng } from '../../core/rng.js';
import {
  AdaptiveClipping,
  adaptiveUpdateNoiseMultiplier,
  type AdaptiveClippingOptions,
} from './adaptive-clipping.js';
import { looksGaussian } from './gaussian-fit.fixture.js';
import { SeededNoise, type NoiseSource } from './noise.js';

/** A noise source that adds nothing, to check the deterministic part of the update rule. */
const silent: NoiseSource = { name: 'silent', standardNormal: () => 0, addGaussian: () => undefined };

const base: AdaptiveClippingOptions = {
  initialClipNorm: 1,
  targetQuantile: 0.5,
  learningRate: 0.2,
  countNoiseStddev: 100 / 20, // Andrew et al. suggest sigma_b = m / 20
  noiseMultiplier: 1,
  sampling: { kind: 'poisson', rate: 0.1, clientsPerRound: 100 },
  noise: silent,
};

describe('AdaptiveClipping (Andrew et al. 2021)', () => {
  it('splits the noise so that z^-2 = z_delta^-2 + (2 sigma_b)^-2 (Theorem 1)', () => {
    const zDelta = adaptiveUpdateNoiseMultiplier(1.1, 5);
    expect(zDelta ** -2 + (2 * 5) ** -2).toBeCloseTo(1.1 ** -2, 14);
    expect(zDelta).toBeGreaterThan(1.1);
    expect(() => adaptiveUpdateNoiseMultiplier(1, 0.5)).toThrow(/must exceed half the noise multiplier/);
    expect(new AdaptiveClipping(base).updateNoiseMultiplier).toBeCloseTo((1 - 0.01) ** -0.5, 14);
  });

  it('updates C geometrically: C <- C exp(-eta (b - gamma))', () => {
    const stage = new AdaptiveClipping(base);
    const update = stage.updateClipNorm(80); // 80 of 100 were unclipped: C is too large, shrink it
    expect(update.noisyUnclippedFraction).toBe(0.8);
    expect(update.clipNorm).toBeCloseTo(Math.exp(-0.2 * 0.3), 15);
    expect(stage.clipNorm).toBe(update.clipNorm);
    expect(stage.updateClipNorm(20).clipNorm).toBeCloseTo(Math.exp(-0.2 * 0.3) * Math.exp(0.2 * 0.3), 15);
  });

  it('tracks the target quantile of the update norms under noise', () => {
    // Update norms uniform on [0, 10]: the 0.8-quantile is 8.
    const rng = new Rng(21);
    const stage = new AdaptiveClipping({
      ...base,
      targetQuantile: 0.8,
      noise: new SeededNoise(rng.split('noise')),
    });
    for (let round = 0; round < 300; round++) {
      let unclipped = 0;
      for (let i = 0; i < 100; i++) {
        const update = ParameterSet.fromTensors([
          { name: 'w', shape: [1], values: Float32Array.of(10 * rng.next()) },
        ]);
        if (!stage.clip(update).clipped) unclipped++;
      }
      stage.updateClipNorm(unclipped);
    }
    expect(stage.clipNorm).toBeGreaterThan(7);
    expect(stage.clipNorm).toBeLessThan(9);
  });

  it('noises the average with z_delta C / m and accounts the round at the total z', () => {
    const stage = new AdaptiveClipping({ ...base, initialClipNorm: 2, noise: new SeededNoise(new Rng(4)) });
    expect(stage.stddev).toBeCloseTo((stage.updateNoiseMultiplier * 2) / 100, 15);
    const average = ParameterSet.fromTensors([
      { name: 'w', shape: [50_000], values: new Float32Array(50_000) },
    ]);
    stage.noiseAverage(average);
    expect(looksGaussian(Float64Array.from(average.data), stage.stddev)).toBe(true);
    expect(stage.privacyCost().entries).toEqual([
      { mechanism: 'sampled-gaussian', sampling: 'poisson', q: 0.1, z: 1, steps: 1 },
    ]);
    const fixed = new AdaptiveClipping({
      ...base,
      sampling: { kind: 'fixed-size', rate: 0.1, clientsPerRound: 100 },
    });
    expect(fixed.privacyCost().entries[0]).toMatchObject({ sampling: 'fixed-size', z: 0.5 });
    expect(stage.parameters()).toMatchObject({ clipNorm: 2, targetQuantile: 0.5, noise: 'seeded' });
  });

  it('rejects invalid settings', () => {
    expect(() => new AdaptiveClipping({ ...base, targetQuantile: 1.5 })).toThrow(/target quantile/);
    expect(() => new AdaptiveClipping({ ...base, learningRate: 0 })).toThrow(/learning rate/);
    expect(() => new AdaptiveClipping({ ...base, countNoiseStddev: 0 })).toThrow(/count noise/);
    expect(() => new AdaptiveClipping(base).updateClipNorm(-1)).toThrow(/unclipped count/);
  });
});

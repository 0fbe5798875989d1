import { describe, expect, it } from 'vitest';
import { l2Norm } from '../../core/kernels.js';
import { ParameterSet } from '../../core/parameters.js';
import { Rng } from '../../core/rng.js';
import { looksGaussian } from './gaussian-fit.fixture.js';
import { LocalGaussianNoise } from './local-noise.js';
import { SeededNoise, type NoiseSource } from './noise.js';

const silent: NoiseSource = { name: 'silent', standardNormal: () => 0, addGaussian: () => undefined };

function update(values: number[]): ParameterSet {
  return ParameterSet.fromTensors([{ name: 'w', shape: [values.length], values: Float32Array.from(values) }]);
}

describe('LocalGaussianNoise', () => {
  it('clips before noising', () => {
    const stage = new LocalGaussianNoise({ clipNorm: 1, noiseMultiplier: 2, noise: silent });
    const big = update([30, 40]);
    expect(stage.apply(big).clipped).toBe(true);
    expect(l2Norm(big)).toBeLessThanOrEqual(1);
    expect(stage.apply(update([0.3, 0.4])).clipped).toBe(false);
  });

  it('adds N(0, (z C)^2) to every coordinate', () => {
    const stage = new LocalGaussianNoise({
      clipNorm: 0.5,
      noiseMultiplier: 3,
      noise: new SeededNoise(new Rng(8)),
    });
    expect(stage.stddev).toBe(1.5);
    const zeros = ParameterSet.fromTensors([
      { name: 'w', shape: [60_000], values: new Float32Array(60_000) },
    ]);
    stage.apply(zeros);
    expect(looksGaussian(Float64Array.from(zeros.data), 1.5)).toBe(true);
  });

  it("charges each client's own ledger a Gaussian step with multiplier z / 2 (sensitivity 2C)", () => {
    const stage = new LocalGaussianNoise({ clipNorm: 1, noiseMultiplier: 4, noise: silent });
    expect(stage.privacyCost()).toMatchObject({
      scope: 'local',
      entries: [{ mechanism: 'gaussian', z: 2, steps: 1 }],
    });
    expect(stage.parameters()).toEqual({ clipNorm: 1, noiseMultiplier: 4, noise: 'silent' });
  });
});

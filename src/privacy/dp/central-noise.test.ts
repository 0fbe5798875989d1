import { describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet } from '../../core/parameters.js';
import { Rng } from '../../core/rng.js';
import { CentralGaussianNoise } from './central-noise.js';
import { SeededNoise } from './noise.js';
import { looksGaussian } from './gaussian-fit.fixture.js';

const layout = new ParameterLayout([
  { name: 'w', shape: [200, 300] },
  { name: 'b', shape: [300] },
]);

describe('CentralGaussianNoise (DP-FedAvg, McMahan et al. 2018)', () => {
  it('adds N(0, (z C / m)^2) to every coordinate of the average', () => {
    const stage = new CentralGaussianNoise({
      noiseMultiplier: 1.3,
      clipNorm: 0.5,
      sampling: { kind: 'poisson', rate: 0.01, clientsPerRound: 40 },
      noise: new SeededNoise(new Rng(5)),
    });
    expect(stage.stddev).toBeCloseTo((1.3 * 0.5) / 40, 15);
    const average = ParameterSet.zeros(layout);
    average.data.fill(0.25);
    stage.apply(average);
    expect(
      looksGaussian(
        Float64Array.from(average.data, (x) => x - 0.25),
        stage.stddev,
      ),
    ).toBe(true);
  });

  it('costs one sampled-Gaussian step per round, halving z under replace-one adjacency for fixed-size sampling', () => {
    const make = (kind: 'poisson' | 'fixed-size') =>
      new CentralGaussianNoise({
        noiseMultiplier: 1.1,
        clipNorm: 1,
        sampling: { kind, rate: 0.05, clientsPerRound: 50 },
        noise: new SeededNoise(new Rng(1)),
      });
    expect(make('poisson').privacyCost()).toMatchObject({
      scope: 'central',
      entries: [{ mechanism: 'sampled-gaussian', sampling: 'poisson', q: 0.05, z: 1.1, steps: 1 }],
    });
    expect(make('fixed-size').privacyCost().entries).toEqual([
      { mechanism: 'sampled-gaussian', sampling: 'fixed-size', q: 0.05, z: 0.55, steps: 1 },
    ]);
    expect(make('poisson').parameters()).toMatchObject({
      noiseMultiplier: 1.1,
      clipNorm: 1,
      noise: 'seeded',
    });
  });

  it('rejects invalid settings', () => {
    const noise = new SeededNoise(new Rng(1));
    const sampling = { kind: 'poisson' as const, rate: 0.1, clientsPerRound: 10 };
    expect(() => new CentralGaussianNoise({ noiseMultiplier: 0, clipNorm: 1, sampling, noise })).toThrow(
      /noise multiplier/,
    );
    expect(
      () =>
        new CentralGaussianNoise({
          noiseMultiplier: 1,
          clipNorm: 1,
          sampling: { ...sampling, rate: 0 },
          noise,
        }),
    ).toThrow(/sampling rate/);
    expect(
      () =>
        new CentralGaussianNoise({
          noiseMultiplier: 1,
          clipNorm: 1,
          sampling: { ...sampling, clientsPerRound: 0 },
          noise,
        }),
    ).toThrow(/clients per round/);
  });
});

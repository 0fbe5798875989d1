import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/errors.js';
import { computeEpsilon, computeNoiseMultiplier, NOISE_RELATIVE_TOLERANCE } from './compute.js';

/**
 * Abadi et al. 2016 ("Deep Learning with Differential Privacy"), MNIST: N = 60,000, lots of 256 (q = 256/60000),
 * noise multiplier 1.1, 60 epochs, delta = 1e-5; 60 * 60000 / 256 = 14062.5 steps, rounded up as the usual
 * DP-SGD tooling does. With RDP accounting and the classic conversion the published figure is epsilon ~ 3.0.
 */
const ABADI = {
  samplingRate: 256 / 60000,
  noiseMultiplier: 1.1,
  steps: Math.ceil((60 * 60000) / 256),
  delta: 1e-5,
};

describe('computeEpsilon', () => {
  it('reproduces the Abadi et al. MNIST example: ~3.0 classic, lower with the improved conversion', () => {
    const classic = computeEpsilon({ ...ABADI, conversion: 'classic' });
    const improved = computeEpsilon(ABADI);
    expect(classic.epsilon).toBeGreaterThan(2.95);
    expect(classic.epsilon).toBeLessThan(3.05);
    expect(classic.epsilon).toBeCloseTo(3.00838, 4);
    expect(classic.order).toBe(8.8);
    expect(improved.conversion).toBe('improved');
    expect(improved.epsilon).toBeCloseTo(2.59666, 4);
    expect(improved.epsilon).toBeLessThan(classic.epsilon);
  });

  it('decreases with more noise and increases with more steps and higher sampling rates', () => {
    const base = { samplingRate: 0.01, noiseMultiplier: 1, steps: 1000, delta: 1e-5 };
    const eps = (change: Partial<typeof base>) => computeEpsilon({ ...base, ...change }).epsilon;
    const noises = [0.6, 0.8, 1, 1.5, 3].map((z) => eps({ noiseMultiplier: z }));
    const steps = [1, 10, 100, 1000, 10000].map((t) => eps({ steps: t }));
    const rates = [1e-4, 1e-3, 0.01, 0.1, 1].map((q) => eps({ samplingRate: q }));
    for (let i = 1; i < 5; i++) {
      expect(noises[i]!).toBeLessThan(noises[i - 1]!);
      expect(steps[i]!).toBeGreaterThan(steps[i - 1]!);
      expect(rates[i]!).toBeGreaterThan(rates[i - 1]!);
    }
    for (const sampling of ['poisson', 'fixed-size'] as const) {
      expect(eps({ steps: 0 })).toBe(0);
      expect(computeEpsilon({ ...base, sampling, noiseMultiplier: 2 }).epsilon).toBeLessThan(
        computeEpsilon({ ...base, sampling, noiseMultiplier: 1 }).epsilon,
      );
    }
  });

  it('rejects invalid settings with typed errors', () => {
    for (const change of [
      { samplingRate: 1.5 },
      { noiseMultiplier: 0 },
      { steps: 1.5 },
      { delta: 0 },
      { orders: [1] },
    ]) {
      let caught: unknown;
      try {
        computeEpsilon({ ...ABADI, ...change });
      } catch (error) {
        caught = error;
      }
      expect(isFlotillaError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('computeNoiseMultiplier', () => {
  it('round-trips: the returned z meets the target and a slightly smaller one does not', () => {
    for (const query of [
      { targetEpsilon: 3, delta: 1e-5, samplingRate: ABADI.samplingRate, steps: ABADI.steps },
      { targetEpsilon: 1, delta: 1e-6, samplingRate: 0.05, steps: 200, sampling: 'fixed-size' as const },
      { targetEpsilon: 8, delta: 1e-5, samplingRate: 1, steps: 10, conversion: 'classic' as const },
    ]) {
      const result = computeNoiseMultiplier(query);
      const at = (z: number) => computeEpsilon({ ...query, noiseMultiplier: z }).epsilon;
      expect(result.epsilon).toBeLessThanOrEqual(query.targetEpsilon);
      expect(at(result.noiseMultiplier)).toBe(result.epsilon);
      expect(at(result.noiseMultiplier * (1 - 2 * NOISE_RELATIVE_TOLERANCE))).toBeGreaterThan(
        query.targetEpsilon,
      );
      expect(result.conversion).toBe(query.conversion ?? 'improved');
    }
  });

  it('inverts computeEpsilon for the Abadi setting', () => {
    const { epsilon } = computeEpsilon(ABADI);
    const { noiseMultiplier } = computeNoiseMultiplier({ ...ABADI, targetEpsilon: epsilon });
    expect(noiseMultiplier).toBeCloseTo(1.1, 5);
  });

  it('reports an unattainable budget with a typed error', () => {
    let caught: unknown;
    try {
      // RDP with orders up to 512 cannot certify epsilon below ~log(1/delta)/511 however large the noise.
      computeNoiseMultiplier({ targetEpsilon: 1e-3, delta: 1e-5, samplingRate: 0.01, steps: 100 });
    } catch (error) {
      caught = error;
    }
    expect(isFlotillaError(caught, 'PRIVACY_UNATTAINABLE')).toBe(true);
  });
});

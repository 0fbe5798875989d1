import { describe, expect, it } from 'vitest';
import { fixedSizeGaussianRdp } from './fixed-size.js';

/**
 * Wang, Balle and Kasiviswanathan 2019, Theorem 9, for the Gaussian mechanism (eps(j) = j / 2z^2, eps(inf) = inf),
 * written out term by term in plain floating point for small orders (no log space), as an independent check.
 */
function directBound(gamma: number, z: number, alpha: number): number {
  const eps = (j: number) => j / (2 * z * z);
  const binom = (n: number, k: number) => {
    let c = 1;
    for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
    return c;
  };
  let sum = 1 + gamma ** 2 * binom(alpha, 2) * Math.min(4 * (Math.exp(eps(2)) - 1), 2 * Math.exp(eps(2)));
  for (let j = 3; j <= alpha; j++) sum += 2 * gamma ** j * binom(alpha, j) * Math.exp((j - 1) * eps(j));
  return Math.min(Math.log(sum) / (alpha - 1), alpha / (2 * z * z));
}

describe('fixedSizeGaussianRdp (Wang, Balle and Kasiviswanathan 2019, Theorem 9)', () => {
  it('matches the theorem written out directly at integer orders', () => {
    for (const [gamma, z] of [
      [0.01, 1.1],
      [0.1, 0.8],
      [0.3, 2],
    ] as const) {
      for (const alpha of [2, 3, 5, 12, 30]) {
        const expected = directBound(gamma, z, alpha);
        expect(Math.abs(fixedSizeGaussianRdp(gamma, z, alpha) / expected - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('interpolates the cumulant (alpha - 1) eps(alpha) linearly between integer orders', () => {
    const [gamma, z] = [0.05, 1.2];
    const k = (alpha: number) => (alpha - 1) * fixedSizeGaussianRdp(gamma, z, alpha);
    expect(k(4.25)).toBeCloseTo(0.75 * k(4) + 0.25 * k(5), 14);
    // On (1, 2) the interpolation runs from K(1) = 0, which gives eps(alpha) = eps(2).
    expect(fixedSizeGaussianRdp(gamma, z, 1.5)).toBe(fixedSizeGaussianRdp(gamma, z, 2));
  });

  it('is exactly alpha / (2 z^2) without sampling, 0 with nothing sampled, and never above that', () => {
    expect(fixedSizeGaussianRdp(1, 1.1, 7)).toBe(7 / (2 * 1.1 * 1.1));
    expect(fixedSizeGaussianRdp(1, 1.1, 7.5)).toBe(7.5 / (2 * 1.1 * 1.1));
    expect(fixedSizeGaussianRdp(0, 1.1, 7)).toBe(0);
    for (const alpha of [1.5, 2, 10, 64, 512]) {
      expect(fixedSizeGaussianRdp(0.9, 0.5, alpha)).toBeLessThanOrEqual(alpha / 0.5);
    }
  });

  it('keeps precision and stays finite for tiny rates and large orders', () => {
    // For small gamma the bound is dominated by its gamma^2 term: log(1 + x) / (alpha - 1) with
    // x = gamma^2 C(alpha, 2) min(4 (e^{1/z^2} - 1), 2 e^{1/z^2}).
    const [gamma, z, alpha] = [1e-6, 1, 4];
    const x = gamma ** 2 * 6 * Math.min(4 * Math.expm1(1), 2 * Math.E);
    expect(Math.abs(fixedSizeGaussianRdp(gamma, z, alpha) / (Math.log1p(x) / 3) - 1)).toBeLessThan(1e-5);
    expect(Number.isFinite(fixedSizeGaussianRdp(1e-3, 0.7, 512))).toBe(true);
  });
});

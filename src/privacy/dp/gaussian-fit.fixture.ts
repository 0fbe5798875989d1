/**
 * Test fixture: how far a sample is from i.i.d. N(0, sigma^2), each statistic in units where ~5 is a ~1e-6
 * false-alarm rate under the null hypothesis.
 */
import { logNormalCdf } from '../accountant/special.js';

export interface GaussianFit {
  /** (sum x^2 / sigma^2 - n) / sqrt(2n): the chi-square (n dof) statistic, standardised. */
  readonly varianceZ: number;
  /** mean / (sigma / sqrt(n)): the sample mean, standardised. */
  readonly meanZ: number;
  /** sqrt(n) D, the Kolmogorov-Smirnov statistic; P(> 2.7) ~ 2 exp(-2 * 2.7^2) ~ 1e-6. */
  readonly ks: number;
}

export function gaussianFit(draws: ArrayLike<number>, sigma: number): GaussianFit {
  const n = draws.length;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    sum += draws[i]!;
    squares += draws[i]! ** 2;
  }
  const sorted = Float64Array.from(draws).sort();
  let d = 0;
  sorted.forEach((x, i) => {
    const cdf = Math.exp(logNormalCdf(x / sigma));
    d = Math.max(d, Math.abs(cdf - i / n), Math.abs((i + 1) / n - cdf));
  });
  return {
    varianceZ: (squares / sigma ** 2 - n) / Math.sqrt(2 * n),
    meanZ: sum / n / (sigma / Math.sqrt(n)),
    ks: Math.sqrt(n) * d,
  };
}

/** True when all three statistics are within their ~1e-6 false-alarm bounds. */
export function looksGaussian(draws: ArrayLike<number>, sigma: number): boolean {
  const fit = gaussianFit(draws, sigma);
  return Math.abs(fit.varianceZ) < 5 && Math.abs(fit.meanZ) < 5 && fit.ks < 2.7;
}

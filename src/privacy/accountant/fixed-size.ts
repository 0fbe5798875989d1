/**
 * RDP of the sampled Gaussian mechanism under fixed-size sampling without replacement: each step uses a uniformly
 * random subset of exactly m = gamma * n records, and neighbouring datasets differ by replacing one record (n is
 * public). We use the general upper bound of Wang, Balle and Kasiviswanathan 2019 ("Subsampled Rényi Differential
 * Privacy and Analytical Moments Accountant", AISTATS, Theorem 9) instantiated with the Gaussian mechanism, whose
 * RDP is eps(j) = j / (2 z^2) for all j and eps(infinity) = infinity (so their min{2, (e^eps(inf) - 1)^j} = 2):
 *
 *   for integer alpha >= 2:
 *   (alpha - 1) eps'(alpha) <= log(1 + gamma^2 C(alpha, 2) min{4 (e^eps(2) - 1), 2 e^eps(2)}
 *                                   + sum_{j=3..alpha} 2 gamma^j C(alpha, j) e^((j - 1) eps(j))).
 *
 * z here is the noise standard deviation divided by the L2 sensitivity under replace-one adjacency (for a sum of
 * vectors clipped to norm C that sensitivity is 2C, not C: callers must halve their noise multiplier).
 *
 * Non-integer orders: the cumulant K(alpha) = (alpha - 1) eps(alpha) is convex in alpha with K(1) = 0, so linear
 * interpolation of the integer-order bounds of K is again an upper bound (the approach WBK describe and other RDP
 * libraries follow); on (1, 2) this gives eps'(alpha) <= eps'(2).
 *
 * Subsampling never costs more than the unsampled mechanism (each pair of sampled subsets differs in at most one
 * record), so every value is capped at alpha / (2 z^2); in particular gamma = 1 gives exactly alpha / (2 z^2).
 */
import { log1pExp, logExpm1, logSumExp } from './special.js';

export function fixedSizeGaussianRdp(gamma: number, z: number, alpha: number): number {
  if (gamma === 0) return 0;
  const unsampled = alpha / (2 * z * z);
  if (gamma === 1) return unsampled;
  let bound: number;
  if (Number.isInteger(alpha)) {
    bound = cumulantBound(gamma, z, alpha) / (alpha - 1);
  } else if (alpha < 2) {
    bound = cumulantBound(gamma, z, 2);
  } else {
    const lo = Math.floor(alpha);
    const t = alpha - lo;
    bound = ((1 - t) * cumulantBound(gamma, z, lo) + t * cumulantBound(gamma, z, lo + 1)) / (alpha - 1);
  }
  return Math.min(bound, unsampled);
}

/** The WBK Theorem 9 bound on K(alpha) at an integer order alpha >= 2, summed in log space. */
function cumulantBound(gamma: number, z: number, alpha: number): number {
  const inv2z2 = 1 / (2 * z * z);
  const logGamma = Math.log(gamma);
  const eps2 = 2 * inv2z2;
  const logBinom2 = Math.log((alpha * (alpha - 1)) / 2);
  // The "1 +" is kept out of the sum (log1pExp below) so that tiny gamma keeps its precision.
  const terms = [2 * logGamma + logBinom2 + Math.min(Math.log(4) + logExpm1(eps2), Math.LN2 + eps2)];
  let logBinom = logBinom2;
  for (let j = 3; j <= alpha; j++) {
    logBinom += Math.log((alpha - j + 1) / j);
    terms.push(Math.LN2 + j * logGamma + logBinom + (j - 1) * j * inv2z2);
  }
  return log1pExp(logSumExp(terms));
}

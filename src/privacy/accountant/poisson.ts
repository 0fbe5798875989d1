/**
 * RDP of the sampled Gaussian mechanism under Poisson subsampling (Mironov, Talwar and Zhang 2019, "Rényi
 * Differential Privacy of the Sampled Gaussian Mechanism", hereafter MTZ). Each record is included independently
 * with probability q and the L2-sensitivity-1 sum is released with N(0, z^2) noise; neighbouring datasets differ by
 * adding or removing one record. MTZ show the RDP at order alpha is eps(alpha) = log(A_alpha) / (alpha - 1) with
 *   A_alpha = E_{x ~ mu0}[(mu(x) / mu0(x))^alpha],  mu0 = N(0, z^2), mu1 = N(1, z^2), mu = (1 - q) mu0 + q mu1.
 */
import { log1pExp, logAddExp, logExpm1, logNormalCdf, logSubExp, logSumExp } from './special.js';

/** RDP of one step at order `alpha` (> 1). q = 0 costs nothing; q = 1 is the plain Gaussian alpha / (2 z^2). */
export function poissonGaussianRdp(q: number, z: number, alpha: number): number {
  if (q === 0) return 0;
  if (q === 1) return alpha / (2 * z * z);
  const logA = Number.isInteger(alpha) ? logAInteger(q, z, alpha) : logAFractional(q, z, alpha);
  return logA / (alpha - 1);
}

/**
 * Integer orders: MTZ Section 3.2 expand (1 - q + q r)^alpha binomially, with r = mu1/mu0, and use
 * E_{mu0}[r^k] = exp((k^2 - k) / 2z^2):  A = sum_k C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / 2z^2).
 * Because the binomial weights sum to 1 and the k = 0, 1 exponents are 0, this equals
 *   A - 1 = sum_{k >= 2} C(alpha, k) (1 - q)^(alpha - k) q^k expm1((k^2 - k) / 2z^2),
 * a sum of positive terms. Summing that (and taking log A = log1p(A - 1)) keeps full relative precision even when
 * A - 1 ~ 1e-12 (q = 1e-6), where summing A directly would lose every digit of the part that matters.
 */
function logAInteger(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const inv2z2 = 1 / (2 * z * z);
  const terms: number[] = [];
  let logBinom = Math.log(alpha); // log C(alpha, 1)
  for (let k = 2; k <= alpha; k++) {
    logBinom += Math.log((alpha - k + 1) / k);
    terms.push(logBinom + k * logQ + (alpha - k) * log1mQ + logExpm1((k * k - k) * inv2z2));
  }
  return log1pExp(logSumExp(terms));
}

/** Relative accuracy asked of the fractional-order series (on the returned RDP value). */
const FRACTIONAL_TOLERANCE = 1e-11;
/** Hard bound on series terms; the result stays an upper bound when it is reached (see below). */
const FRACTIONAL_MAX_TERMS = 200_000;

/**
 * Fractional orders: MTZ Section 3.3 split the integral at z0 = z^2 log(1/q - 1) + 1/2, where (1 - q) mu0 = q mu1,
 * and expand (mu/mu0)^alpha binomially on each side (each expansion converges there):
 *   A = sum_i C(alpha, i) (1 - q)^(alpha - i) q^i exp((i^2 - i) / 2z^2) * erfc((i - z0) / (sqrt(2) z)) / 2
 *     + sum_i C(alpha, i) q^(alpha - i) (1 - q)^i exp((j^2 - j) / 2z^2) * erfc((z0 - j) / (sqrt(2) z)) / 2,
 * with j = alpha - i; erfc(-u / sqrt(2)) / 2 is the normal CDF Phi(u), which we evaluate in log form directly. The
 * terms are summed in log space with their signs (positive and negative parts apart).
 *
 * Stopping: past i > alpha the binomial coefficients alternate in sign and shrink, and the rest of each term
 * strictly decreases in i (its log-derivative is -(u + phi(u)/Phi(u))/z < 0 with u the Gaussian tail argument), so
 * each series' remainder lies between 0 and its first omitted term. We stop once that term is below the tolerance
 * and add it when positive, which makes the returned value an upper bound on A (never an underestimate of privacy
 * loss), even if the term cap is hit.
 */
function logAFractional(q: number, z: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const inv2z2 = 1 / (2 * z * z);
  const z0 = z * z * (log1mQ - logQ) + 0.5;
  const logTolerance = Math.log(FRACTIONAL_TOLERANCE);

  let positive = -Infinity;
  let negative = -Infinity;
  let logBinom = 0; // log |C(alpha, i)|
  let sign = 1; // sign of C(alpha, i)
  for (let i = 0; ; i++) {
    if (i > 0) {
      const ratio = (alpha - i + 1) / i;
      logBinom += Math.log(Math.abs(ratio));
      if (ratio < 0) sign = -sign;
    }
    const j = alpha - i;
    const first = logBinom + i * logQ + j * log1mQ + (i * i - i) * inv2z2 + logNormalCdf((z0 - i) / z);
    const second = logBinom + j * logQ + i * log1mQ + (j * j - j) * inv2z2 + logNormalCdf((j - z0) / z);
    const term = logAddExp(first, second);

    if (i > alpha) {
      const logA = logSubExp(positive, negative);
      // The term's share of rdp = log(A) / (alpha - 1) is about term / (A log A).
      const negligible = term < logA + Math.log(logA) + logTolerance;
      // While the partial sum is still below 1 (log A <= 0) the leading terms have not all been added yet.
      if ((logA > 0 && negligible) || i >= FRACTIONAL_MAX_TERMS) {
        return sign > 0 ? logAddExp(logA, term) : logA;
      }
    }
    if (sign > 0) positive = logAddExp(positive, term);
    else negative = logAddExp(negative, term);
  }
}

/**
 * Log-space arithmetic and the complementary error function, written for the RDP accountant. RDP terms span
 * hundreds of orders of magnitude (exp((k^2 - k) / 2z^2) at k = 512) and the interesting quantity is often a tiny
 * excess over 1 (log A_alpha ~ q^2 for small sampling rates), so everything is kept as logarithms and every
 * "1 + small" is routed through log1p/expm1 to keep relative precision.
 */

/** log(e^a + e^b) without overflow; exact when either side is -Infinity. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = a > b ? a : b;
  const lo = a > b ? b : a;
  return hi + Math.log1p(Math.exp(lo - hi));
}

/** log(e^a - e^b) for a >= b; -Infinity when they are equal. */
export function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b > a) throw new RangeError(`logSubExp needs a >= b, got ${a} < ${b}`);
  if (a === b) return -Infinity;
  return a + Math.log1p(-Math.exp(b - a));
}

/** log(e^x - 1) for x > 0, accurate both for tiny x (through expm1) and for huge x (no overflow). */
export function logExpm1(x: number): number {
  return x > 1 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/** log(1 + e^x) (softplus) without overflow, keeping precision when e^x is tiny. */
export function log1pExp(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** Max-shifted log-sum-exp of a list; for lists of terms that are all positive (no cancellation). */
export function logSumExp(terms: readonly number[]): number {
  let max = -Infinity;
  for (const t of terms) if (t > max) max = t;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return max + Math.log(sum);
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** Below this the power series for erf is used, above it the continued fraction for erfc. */
const SERIES_LIMIT = 2;

/**
 * log(erfc(x)) for every real x, to about 1e-14 relative in erfc. JavaScript has no erf, so this uses two
 * classical expansions (Abramowitz and Stegun 7.1.6 and 7.1.14):
 *  - 0 <= x < 2: erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1)), a series of positive terms
 *    (no cancellation), and erfc = 1 - erf, which loses at most ~2.5 digits at x = 2;
 *  - x >= 2: erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated with the modified
 *    Lentz algorithm; taking the log analytically means erfc(30) ~ 1e-393 is still representable;
 *  - x < 0: erfc(x) = 2 - erfc(-x).
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return Math.LN2 + Math.log1p(-0.5 * Math.exp(logErfcNonNegative(-x)));
  return logErfcNonNegative(x);
}

/**
 * log(Phi(u)) for the standard normal CDF Phi(u) = erfc(-u / sqrt(2)) / 2. Written separately from logErfc because
 * for large u the answer is a tiny negative number (log1p of the tail), which "logErfc(...) - log 2" would round
 * away.
 */
export function logNormalCdf(u: number): number {
  if (Number.isNaN(u)) return NaN;
  if (u > 0) return Math.log1p(-0.5 * Math.exp(logErfcNonNegative(u / Math.SQRT2)));
  return logErfcNonNegative(-u / Math.SQRT2) - Math.LN2;
}

function logErfcNonNegative(x: number): number {
  if (x === Infinity) return -Infinity;
  if (x < SERIES_LIMIT) return Math.log1p(-erfSeries(x));
  return -x * x - LOG_SQRT_PI + Math.log(erfcContinuedFraction(x));
}

function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** 1/(x + a_2/(x + a_3/(x + ...))) with a_{n+1} = n/2, by the modified Lentz method; converges for x > 0. */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = tiny;
  let c = tiny;
  let d = 0;
  for (let n = 1; n < 10_000; n++) {
    const a = n === 1 ? 1 : (n - 1) / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

import { describe, expect, it } from 'vitest';
import { DEFAULT_ORDERS } from './orders.js';
import { poissonGaussianRdp } from './poisson.js';

/**
 * Independent reference for integer orders: the binomial sum of Mironov, Talwar and Zhang 2019 (Section 3.2),
 *   A = sum_k C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / 2z^2),
 * evaluated directly (no log space, no A - 1 rewriting) in 320-bit binary fixed point with BigInt, for rational
 * q = qNum / qDen and z = zNum / zDen. Binomials and powers of q are exact; exp(1 / 2z^2) comes from its Taylor
 * series and its powers by repeated multiplication, each rounding costing ~2^-320 relative.
 */
const BITS = 320n;
const ONE = 1n << BITS;

function expFixed(num: bigint, den: bigint): bigint {
  let term = ONE;
  let sum = ONE;
  for (let n = 1n; term > 0n; n++) {
    term = (term * num) / (den * n);
    sum += term;
  }
  return sum;
}

function logFixed(x: bigint): number {
  const bits = BigInt(x.toString(2).length);
  const shift = bits > 64n ? bits - 64n : 0n;
  return Math.log(Number(x >> shift)) + Number(shift - BITS) * Math.LN2;
}

function referenceRdp(qNum: number, qDen: number, zNum: number, zDen: number, alpha: number): number {
  const p = BigInt(qNum);
  const d = BigInt(qDen);
  const e = expFixed(BigInt(zDen * zDen), BigInt(2 * zNum * zNum)); // exp(1 / 2z^2)
  const e2 = (e * e) >> BITS;
  const dPow = d ** BigInt(alpha);
  let power = ONE; // exp((k^2 - k) / 2z^2), starting at k = 0
  let step = ONE; // exp(2k / 2z^2): power(k + 1) = power(k) * step(k)
  let binom = 1n;
  let sum = 0n;
  for (let k = 0; k <= alpha; k++) {
    // Multiply everything before the single division: tiny weights times huge exponentials stay exact.
    sum += (binom * (d - p) ** BigInt(alpha - k) * p ** BigInt(k) * power) / dPow;
    power = (power * step) >> BITS;
    step = (step * e2) >> BITS;
    binom = (binom * BigInt(alpha - k)) / BigInt(k + 1);
  }
  const excess = sum - ONE; // A - 1, exact subtraction: keeps the digits that matter for tiny q
  const logA = excess < ONE << 600n ? Math.log1p(Number(excess) / 2 ** 320) : logFixed(sum);
  return logA / (alpha - 1);
}

/**
 * Independent reference for any order: the defining integral A - 1 = E_{x~mu0}[(mu/mu0)^alpha - 1 - alpha(mu/mu0 - 1)]
 * (the subtracted part has mean 0, and the integrand is >= 0 by convexity, so nothing cancels), by the trapezoid
 * rule on a fine grid. For integrands analytic in a strip around the real line the trapezoid rule converges
 * geometrically (Trefethen and Weideman 2014, "The exponentially convergent trapezoidal rule"); here the strip
 * half-width is pi z^2.
 */
function quadratureRdp(q: number, z: number, alpha: number): number {
  const h = z / 40;
  const lo = -40 * z;
  const hi = alpha + 40 * z;
  let sum = 0;
  for (let x = lo; x <= hi; x += h) {
    const logPhi = -(x * x) / (2 * z * z) - Math.log(z * Math.sqrt(2 * Math.PI));
    const y = q * Math.expm1((2 * x - 1) / (2 * z * z)); // mu/mu0 - 1
    let g: number;
    if (Math.abs(y) < 1e-3) {
      // (1 + y)^alpha - 1 - alpha y = sum_{k >= 2} C(alpha, k) y^k, summed directly to avoid cancellation.
      let coef = (alpha * (alpha - 1)) / 2;
      let yk = y * y;
      g = 0;
      for (let k = 2; Math.abs(coef * yk) > 1e-20 * Math.abs(g) || k === 2; k++) {
        g += coef * yk;
        coef *= (alpha - k) / (k + 1);
        yk *= y;
      }
      sum += Math.exp(logPhi) * g;
    } else {
      sum += Math.exp(logPhi + alpha * Math.log1p(y)) - Math.exp(logPhi) * (1 + alpha * y);
    }
  }
  return Math.log1p(h * sum) / (alpha - 1);
}

function relativeError(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.abs(expected);
}

describe('poissonGaussianRdp', () => {
  it('is exactly alpha / (2 z^2) at q = 1 and 0 at q = 0 (no sampling / no data used)', () => {
    for (const alpha of [1.1, 2, 2.5, 32, 256]) {
      for (const z of [0.5, 1.1, 3]) {
        expect(poissonGaussianRdp(1, z, alpha)).toBe(alpha / (2 * z * z));
        expect(poissonGaussianRdp(0, z, alpha)).toBe(0);
      }
    }
  });

  // [qNum, qDen, zNum, zDen, alpha]
  const integerCases: [number, number, number, number, number][] = [
    [1, 100, 11, 10, 2],
    [1, 100, 11, 10, 32],
    [8, 1875, 11, 10, 64], // q = 256 / 60000, the Abadi et al. MNIST setting
    [1, 10, 4, 5, 16],
    [1, 2, 2, 1, 128],
    [1, 1000, 4, 1, 256],
    [1, 1_000_000, 1, 1, 8],
    [1, 1_000_000, 1, 1, 512],
  ];
  it.each(integerCases)(
    'integer order: q = %i/%i, z = %i/%i, alpha = %i matches a 320-bit direct summation to 1e-6',
    (qNum, qDen, zNum, zDen, alpha) => {
      const expected = referenceRdp(qNum, qDen, zNum, zDen, alpha);
      const actual = poissonGaussianRdp(qNum / qDen, zNum / zDen, alpha);
      expect(relativeError(actual, expected)).toBeLessThan(1e-6);
      // In practice the log-space sum is good to near machine precision.
      expect(relativeError(actual, expected)).toBeLessThan(1e-11);
    },
  );

  const fractionalCases: [number, number, number][] = [
    [0.01, 1.1, 1.1],
    [0.01, 1.1, 2.5],
    [256 / 60000, 1.1, 8.8],
    [0.1, 0.8, 7.3],
    [0.5, 1, 1.5],
    [0.3, 2, 10.9],
    [0.001, 5, 30.5],
    [0.9, 0.7, 3.7],
  ];
  it.each(fractionalCases)(
    'fractional order: q = %d, z = %d, alpha = %d matches quadrature of the defining integral to 1e-6',
    (q, z, alpha) => {
      expect(relativeError(poissonGaussianRdp(q, z, alpha), quadratureRdp(q, z, alpha))).toBeLessThan(1e-6);
    },
  );

  it('fractional and integer formulas meet at integer orders', () => {
    for (const [q, z, alpha] of [
      [0.01, 1.1, 3],
      [0.2, 0.9, 12],
      [1e-4, 2, 40],
    ] as const) {
      const atInteger = poissonGaussianRdp(q, z, alpha);
      expect(relativeError(poissonGaussianRdp(q, z, alpha + 1e-9), atInteger)).toBeLessThan(1e-6);
      expect(relativeError(poissonGaussianRdp(q, z, alpha - 1e-9), atInteger)).toBeLessThan(1e-6);
    }
  });

  it('is finite, positive and non-decreasing in the order, from tiny q to large orders', () => {
    // RDP is monotone in alpha (Mironov 2017, Proposition 9), which also checks both formulas against each other.
    for (const [q, z] of [
      [1e-6, 1],
      [1e-6, 0.3],
      [256 / 60000, 1.1],
      [0.5, 0.8],
      [0.99, 4],
    ] as const) {
      let previous = 0;
      for (const alpha of DEFAULT_ORDERS) {
        const rdp = poissonGaussianRdp(q, z, alpha);
        expect(Number.isFinite(rdp)).toBe(true);
        expect(rdp).toBeGreaterThan(0);
        expect(rdp).toBeGreaterThanOrEqual(previous * (1 - 1e-9));
        expect(rdp).toBeLessThanOrEqual(alpha / (2 * z * z)); // sampling never hurts
        previous = rdp;
      }
    }
  });
});

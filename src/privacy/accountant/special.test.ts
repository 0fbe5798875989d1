import { describe, expect, it } from 'vitest';
import { log1pExp, logAddExp, logErfc, logExpm1, logNormalCdf, logSubExp, logSumExp } from './special.js';

describe('logErfc', () => {
  // Reference values of erfc to 17 digits (Abramowitz and Stegun Table 7.1 style; recomputed with mpmath at 40 digits).
  const cases: [number, number][] = [
    [0, 1],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [2, 0.004677734981047266],
    [3, 2.209049699858544e-5],
    [5, 1.537459794428035e-12],
    [10, 2.088487583762545e-45],
    [-1, 1.842700792949715],
  ];
  it.each(cases)('erfc(%d) to 1e-13 relative', (x, erfc) => {
    expect(Math.abs(Math.exp(logErfc(x)) / erfc - 1)).toBeLessThan(1e-13);
  });

  it('stays finite far in the tail, where erfc itself underflows', () => {
    // erfc(x) ~ exp(-x^2) / (x sqrt(pi)) (1 - 1/(2x^2)) for large x (A&S 7.1.23).
    const x = 100;
    const asymptotic = -x * x - Math.log(x * Math.sqrt(Math.PI)) + Math.log1p(-1 / (2 * x * x));
    expect(logErfc(x)).toBeCloseTo(asymptotic, 6);
    expect(logErfc(-40)).toBe(Math.LN2);
  });

  it('agrees with a direct quadrature of 2/sqrt(pi) * int_x^inf exp(-t^2) dt', () => {
    for (const x of [0.3, 1.7, 2.2, 4]) {
      // Trapezoid on [x, x + 12] with end correction (Euler-Maclaurin) is plenty for this smooth integrand.
      const n = 20000;
      const h = 12 / n;
      let sum = 0.5 * (Math.exp(-x * x) + Math.exp(-((x + 12) ** 2)));
      for (let i = 1; i < n; i++) sum += Math.exp(-((x + i * h) ** 2));
      const correction = (h * h * (-2 * x * Math.exp(-x * x))) / 12; // -(h^2/12) (f'(b) - f'(a)), f'(b) ~ 0
      const integral = (2 / Math.sqrt(Math.PI)) * (h * sum + correction);
      expect(Math.abs(Math.exp(logErfc(x)) / integral - 1)).toBeLessThan(1e-9);
    }
  });
});

describe('logNormalCdf', () => {
  it('keeps the tiny deficit of Phi(u) for large u', () => {
    // Phi(-10) = 7.619853024160525e-24, so log Phi(10) = log1p(-7.6198530241605e-24).
    expect(logNormalCdf(10) / -7.619853024160525e-24 - 1).toBeLessThan(1e-12);
    expect(Math.abs(Math.exp(logNormalCdf(-10)) / 7.619853024160525e-24 - 1)).toBeLessThan(1e-12);
    expect(logNormalCdf(0)).toBe(-Math.LN2);
  });
});

describe('log-space helpers', () => {
  it('add, subtract and sum exponentials without overflow', () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, 3)).toBe(3);
    expect(logSubExp(1000, 1000 - Math.LN2)).toBeCloseTo(1000 - Math.LN2, 12);
    expect(logSubExp(2, 2)).toBe(-Infinity);
    expect(() => logSubExp(1, 2)).toThrow(RangeError);
    expect(logSumExp([800, 800, 800])).toBeCloseTo(800 + Math.log(3), 12);
    expect(logSumExp([])).toBe(-Infinity);
  });

  it('keep relative precision around 1', () => {
    expect(logExpm1(1e-10) / Math.log(1e-10) - 1).toBeLessThan(1e-14);
    expect(logExpm1(800)).toBeCloseTo(800, 12);
    expect(log1pExp(Math.log(1e-20)) / 1e-20 - 1).toBeLessThan(1e-14);
    expect(log1pExp(800)).toBe(800);
  });
});

import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/errors.js';
import { deltaFromRdp, epsilonFromRdp } from './conversion.js';

describe('RDP to (epsilon, delta) conversion', () => {
  it('classic: epsilon = rdp + log(1/delta) / (alpha - 1) (Mironov 2017, Proposition 3)', () => {
    const result = epsilonFromRdp([10], [1], 1e-5, 'classic');
    expect(result.epsilon).toBeCloseTo(1 + Math.log(1e5) / 9, 14);
    expect(result).toMatchObject({ order: 10, conversion: 'classic' });
  });

  it('improved: epsilon = rdp + log((alpha-1)/alpha) - (log delta + log alpha)/(alpha-1) (Balle et al. 2020, Thm 21)', () => {
    const result = epsilonFromRdp([10], [1], 1e-5);
    expect(result.epsilon).toBeCloseTo(1 + Math.log(0.9) - (Math.log(1e-5) + Math.log(10)) / 9, 14);
    expect(result.conversion).toBe('improved');
    expect(result.epsilon).toBeLessThan(epsilonFromRdp([10], [1], 1e-5, 'classic').epsilon);
  });

  it('takes the best order and clamps at 0', () => {
    const orders = [2, 8, 32];
    const rdp = orders.map((alpha) => alpha / (2 * 3 * 3)); // Gaussian, z = 3
    const best = epsilonFromRdp(orders, rdp, 1e-5, 'classic');
    const each = orders.map((alpha, k) => rdp[k]! + Math.log(1e5) / (alpha - 1));
    expect(best.epsilon).toBe(Math.min(...each));
    expect(best.order).toBe(orders[each.indexOf(Math.min(...each))]);
    expect(epsilonFromRdp([512], [1e-9], 0.5).epsilon).toBe(0);
    // Nothing spent: (0, 0)-DP.
    expect(epsilonFromRdp([2, 3], [0, 0], 1e-5).epsilon).toBe(0);
    expect(deltaFromRdp([2, 3], [0, 0], 0).delta).toBe(0);
  });

  it('delta for a given epsilon inverts the epsilon for a given delta at one order', () => {
    for (const conversion of ['classic', 'improved'] as const) {
      const { epsilon } = epsilonFromRdp([6], [0.7], 1e-6, conversion);
      expect(deltaFromRdp([6], [0.7], epsilon, conversion).delta).toBeCloseTo(1e-6, 18);
    }
    expect(deltaFromRdp([2], [50], 0).delta).toBe(1);
  });

  it('rejects invalid input with typed errors', () => {
    const bad = [
      () => epsilonFromRdp([2], [1], 0),
      () => epsilonFromRdp([2], [1], 1),
      () => epsilonFromRdp([2, 3], [1], 1e-5),
      () => epsilonFromRdp([2], [1], 1e-5, 'fancy' as never),
      () => deltaFromRdp([2], [1], -1),
    ];
    for (const call of bad) {
      expect(() => call()).toThrow();
      try {
        call();
      } catch (error) {
        expect(isFlotillaError(error, 'INVALID_ARGUMENT')).toBe(true);
      }
    }
  });
});

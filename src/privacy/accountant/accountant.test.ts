import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/errors.js';
import { PrivacyAccountant } from './accountant.js';
import { computeEpsilon } from './compute.js';
import type { LedgerEntry } from './ledger.js';
import { DEFAULT_ORDERS } from './orders.js';

const poisson: LedgerEntry = {
  mechanism: 'sampled-gaussian',
  sampling: 'poisson',
  q: 0.02,
  z: 1.2,
  steps: 1,
};
const fixed: LedgerEntry = { mechanism: 'sampled-gaussian', sampling: 'fixed-size', q: 0.05, z: 2, steps: 3 };
const gaussian: LedgerEntry = { mechanism: 'gaussian', z: 10, steps: 2 };

describe('PrivacyAccountant', () => {
  it('composes by adding RDP per order (Mironov 2017, Proposition 1)', () => {
    const once = new PrivacyAccountant().add({ ...poisson, steps: 10 });
    const split = new PrivacyAccountant().add({ ...poisson, steps: 4 }).add({ ...poisson, steps: 6 });
    const single = new PrivacyAccountant().add(poisson).rdp();
    once.rdp().forEach((value, k) => {
      expect(value).toBeCloseTo(10 * single[k]!, 12);
      expect(split.rdp()[k]).toBeCloseTo(value, 12);
    });

    const mixed = new PrivacyAccountant().add(poisson).add(fixed).add(gaussian);
    const parts = [poisson, fixed, gaussian].map((entry) => new PrivacyAccountant().add(entry).rdp());
    mixed.rdp().forEach((value, k) => {
      expect(value).toBeCloseTo(parts[0]![k]! + parts[1]![k]! + parts[2]![k]!, 12);
    });
    // A plain Gaussian entry is alpha / (2 z^2) per step.
    expect(parts[2]![0]).toBeCloseTo((2 * DEFAULT_ORDERS[0]!) / (2 * 100), 14);
    expect(mixed.entries).toHaveLength(3);
  });

  it('gives the same epsilon as computeEpsilon for a single mechanism', () => {
    const accountant = new PrivacyAccountant().add({ ...poisson, steps: 500 });
    const direct = computeEpsilon({ samplingRate: 0.02, noiseMultiplier: 1.2, steps: 500, delta: 1e-5 });
    expect(accountant.getEpsilon(1e-5)).toEqual(direct);
    const { delta } = accountant.getDelta(direct.epsilon);
    expect(delta).toBeLessThanOrEqual(1e-5 * (1 + 1e-9));
  });

  it('answers wouldExceed without changing the ledger', () => {
    const accountant = new PrivacyAccountant().add({ ...poisson, steps: 100 });
    const before = accountant.getEpsilon(1e-5).epsilon;
    const next: LedgerEntry = { ...poisson, steps: 1 };
    const after = accountant.epsilonAfter(next, 1e-5).epsilon;
    expect(after).toBeGreaterThan(before);
    expect(accountant.wouldExceed(next, { epsilon: after * 1.0001, delta: 1e-5 })).toBe(false);
    expect(accountant.wouldExceed(next, { epsilon: (before + after) / 2, delta: 1e-5 })).toBe(true);
    expect(accountant.getEpsilon(1e-5).epsilon).toBe(before);
    expect(accountant.entries).toHaveLength(1);
  });

  it('survives a JSON round trip (durable storage) with identical results', () => {
    const accountant = new PrivacyAccountant({ conversion: 'classic' })
      .add({ ...poisson, label: 'rounds 1-40' })
      .add(fixed)
      .add(gaussian);
    const restored = PrivacyAccountant.fromJSON(JSON.parse(JSON.stringify(accountant)));
    expect(restored.conversion).toBe('classic');
    expect(restored.entries).toEqual(accountant.entries);
    expect(Array.from(restored.rdp())).toEqual(Array.from(accountant.rdp()));
    expect(restored.getEpsilon(1e-6)).toEqual(accountant.getEpsilon(1e-6));
  });

  it('rejects bad entries and snapshots with typed errors', () => {
    const bad: unknown[] = [
      { ...poisson, q: 2 },
      { ...poisson, z: -1 },
      { ...poisson, steps: -1 },
      { ...poisson, sampling: 'bernoulli' },
      { mechanism: 'laplace', z: 1, steps: 1 },
      null,
    ];
    for (const entry of bad) {
      expect(() => new PrivacyAccountant().add(entry as LedgerEntry)).toThrow(/invalid privacy ledger entry/);
    }
    for (const snapshot of [
      null,
      { version: 2 },
      { version: 1, orders: 'x', entries: [] },
      { version: 1, orders: [2] },
    ]) {
      let caught: unknown;
      try {
        PrivacyAccountant.fromJSON(snapshot);
      } catch (error) {
        caught = error;
      }
      expect(isFlotillaError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { ClientDpPolicy, DpFedAvgPolicy } from '../engine/index.js';
import { computeEpsilon } from '../privacy/index.js';
import { RUN_COMMAND } from './commands/simulate.js';
import { resolvePrivacy } from './privacy-options.js';

const values = (flags: string[]) => RUN_COMMAND.read(flags).settings;

function centralZ(flags: string[], rounds: number, fraction: number): number {
  const policy = resolvePrivacy(values(['--dp', 'central', ...flags]), rounds, fraction)!.policy;
  expect(policy).toBeInstanceOf(DpFedAvgPolicy);
  return (policy as DpFedAvgPolicy).noiseMultiplier;
}

describe('privacy options', () => {
  it('calibrates central noise so that the configured rounds spend the budget, per sampling analysis', () => {
    const poisson = centralZ(['--target-epsilon', '3', '--client-sampling', 'poisson'], 40, 0.25);
    const spent = computeEpsilon({ samplingRate: 0.25, noiseMultiplier: poisson, steps: 40, delta: 1e-5 });
    expect(spent.epsilon).toBeLessThanOrEqual(3);
    expect(spent.epsilon).toBeGreaterThan(2.999);
    // Fixed-size sampling is accounted at z / 2 (replace-one adjacency): the noise on the sum must be twice that.
    const fixed = centralZ(['--target-epsilon', '3'], 40, 0.25);
    const fixedSpent = computeEpsilon({
      samplingRate: 0.25,
      noiseMultiplier: fixed / 2,
      steps: 40,
      delta: 1e-5,
      sampling: 'fixed-size',
    });
    expect(fixedSpent.epsilon).toBeLessThanOrEqual(3);
    expect(fixedSpent.epsilon).toBeGreaterThan(2.999);
    expect(centralZ(['--noise-multiplier', '1.3'], 40, 0.25)).toBe(1.3);
  });

  it('passes the client side (noise source, own budget) for client-side modes', () => {
    const flags = ['--dp', 'local', '--noise-multiplier', '2', '--target-epsilon', '5', '--dp-seeded'];
    const local = resolvePrivacy(values(flags), 5, 1)!;
    expect(local.policy).toBeInstanceOf(ClientDpPolicy);
    expect(local.client).toEqual({ noise: 'seeded', privacyBudget: { epsilon: 5, delta: 1e-5 } });
  });

  it('refuses incomplete or orphan DP settings, naming the key', () => {
    const errorOf = (flags: string[]): unknown => {
      try {
        resolvePrivacy(values(flags), 5, 1);
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(isFlotillaError(errorOf(['--dp', 'dp-sgd']), 'CONFIG_INVALID')).toBe(true);
    expect(isFlotillaError(errorOf(['--dp', 'central']), 'CONFIG_INVALID')).toBe(true);
    expect((errorOf(['--noise-multiplier', '1']) as Error).message).toMatch(
      /"noiseMultiplier" needs a DP mode/,
    );
    expect(resolvePrivacy(values([]), 5, 1)).toBeUndefined();
  });
});

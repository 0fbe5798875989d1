/**
 * Combinations whose assumptions do not hold are refused by RoundEngine's constructor (DESIGN principle 9), each
 * with CONFIG_INVALID, the setting to change as `key`, and one line naming both settings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FlotillaError } from '../core/index.js';
import { STRATEGY_NAMES, createStrategy } from '../strategy/registry.js';
import type { Strategy } from '../strategy/strategy.js';
import { InProcessPool } from '../transport/in-process.js';
import { createClientHost } from '../transport/test-support/synthetic-host.js';
import { ClientDpPolicy } from './client-dp.js';
import type { EngineConfig } from './config.js';
import { DpFedAvgPolicy } from './dp-fedavg.js';
import { RoundEngine } from './engine.js';
import type { PrivacyPolicy } from './privacy.js';

let pool: InProcessPool;
beforeAll(async () => {
  pool = new InProcessPool(
    await createClientHost({ clients: 4, features: 3, classes: 2, examplesPerClient: 8, seed: 1 }),
  );
});

/** Parameters for the strategies that require some; the rest run at their defaults. */
const REQUIRED: Readonly<Record<string, Record<string, unknown>>> = {
  krum: { f: 1 },
  'multi-krum': { f: 1 },
  bulyan: { f: 1 },
  'centered-clipping': { tau: 1 },
  'norm-bounding': { normBound: 1 },
};

const strategy = (name: string, params: Record<string, unknown> = {}): Strategy =>
  createStrategy(name, { ...REQUIRED[name], ...params });

interface Setup {
  readonly strategy: Strategy;
  readonly config?: Partial<EngineConfig>;
  readonly privacy?: PrivacyPolicy;
  readonly serverFit?: boolean;
}

/** The engine's refusal of `setup`, or undefined when it constructs. */
function refusal(setup: Setup): FlotillaError | undefined {
  try {
    new RoundEngine({
      pool,
      strategy: setup.strategy,
      config: { rounds: 1, ...setup.config },
      ...(setup.privacy ? { privacy: setup.privacy } : {}),
      ...(setup.serverFit ? { serverFit: async (params) => params } : {}),
    });
    return undefined;
  } catch (error) {
    if (error instanceof FlotillaError) return error;
    throw error;
  }
}

function expectRefused(setup: Setup, key: string, ...named: RegExp[]): void {
  const error = refusal(setup);
  expect(error?.code).toBe('CONFIG_INVALID');
  expect(error?.details['key']).toBe(key);
  expect(error?.message).not.toContain('\n');
  for (const pattern of named) expect(error?.message).toMatch(pattern);
}

const dpSgd = () =>
  new ClientDpPolicy({ mode: 'dp-sgd', exampleClipNorm: 1, noiseMultiplier: 1, delta: 1e-5 });
const localDp = () => new ClientDpPolicy({ mode: 'local', clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 });
const centralDp = () =>
  new DpFedAvgPolicy({ noiseMultiplier: 1, clipNorm: 1, sampling: 'fixed-size', delta: 1e-5 });

describe('the local optimizer a strategy assumes', () => {
  it('refuses Adam with SCAFFOLD, q-FedAvg and FedNova, naming both settings and the way out', () => {
    for (const name of ['scaffold', 'qfedavg', 'fednova']) {
      expectRefused(
        { strategy: strategy(name), config: { optimizer: 'adam', learningRate: 0.001 } },
        'optimizer',
        new RegExp(`strategy "${name}" assumes plain SGD local steps`),
        /optimizer is "adam"; set optimizer to "sgd"/,
      );
    }
    expect(refusal({ strategy: strategy('scaffold'), config: { optimizer: 'adam' } })?.message).toMatch(
      /control variate \(x - y\) \/ \(K lr\)/,
    );
    expect(refusal({ strategy: strategy('qfedavg'), config: { optimizer: 'adam' } })?.message).toMatch(
      /L = 1 \/ learningRate/,
    );
  });

  it('accepts Adam with every other strategy in the registry', () => {
    const refused = STRATEGY_NAMES.filter(
      (name) =>
        refusal({ strategy: strategy(name), config: { optimizer: 'adam' }, serverFit: true }) !== undefined,
    );
    expect(refused).toEqual(['scaffold', 'fednova', 'qfedavg']);
  });

  it('refuses local momentum with SCAFFOLD and q-FedAvg; FedNova normalizes it', () => {
    for (const name of ['scaffold', 'qfedavg']) {
      expectRefused(
        { strategy: strategy(name), config: { momentum: 0.9 } },
        'momentum',
        new RegExp(`strategy "${name}"`),
        /momentum is 0\.9; set momentum to 0/,
      );
    }
    expect(refusal({ strategy: strategy('fednova'), config: { momentum: 0.9 } })).toBeUndefined();
    expect(refusal({ strategy: strategy('scaffold'), config: { momentum: 0 } })).toBeUndefined();
  });
});

describe('strategies and privacy modes', () => {
  it('refuses DP-SGD with a strategy that adds a gradient term (FedProx with mu > 0, SCAFFOLD)', () => {
    expectRefused(
      { strategy: strategy('fedprox'), privacy: dpSgd() },
      'dp',
      /strategy "fedprox" adds its proximal term/,
      /dp "dp-sgd"/,
    );
    expectRefused({ strategy: strategy('scaffold'), privacy: dpSgd() }, 'dp', /control-variate correction/);
    expect(refusal({ strategy: strategy('fedprox', { mu: 0 }), privacy: dpSgd() })).toBeUndefined();
    expect(refusal({ strategy: strategy('fedprox'), privacy: localDp() })).toBeUndefined();
    // DP-SGD's guarantee does not depend on the optimizer that takes its noised steps.
    expect(
      refusal({ strategy: strategy('fedavg'), privacy: dpSgd(), config: { optimizer: 'adam' } }),
    ).toBeUndefined();
  });

  it('refuses central DP with a strategy that needs more than one mean update', () => {
    for (const name of ['krum', 'scaffold', 'fednova', 'qfedavg', 'fltrust']) {
      expectRefused(
        { strategy: strategy(name), privacy: centralDp(), serverFit: true },
        'strategy',
        new RegExp(`strategy "${name}" cannot follow dp-fedavg \\(dp "central"\\)`),
      );
    }
    for (const name of ['fedavg', 'fedavgm', 'fedprox', 'fedadagrad', 'fedadam', 'fedyogi']) {
      expect(refusal({ strategy: strategy(name), privacy: centralDp() })).toBeUndefined();
    }
  });

  it('refuses a privacy analysis whose client sampling the engine does not use', () => {
    expectRefused(
      { strategy: strategy('fedavg'), privacy: centralDp(), config: { clientSampling: 'poisson' } },
      'clientSampling',
      /assumes fixed-size client sampling but the engine samples poisson/,
    );
  });
});

describe('the round size a robust rule needs', () => {
  it('refuses rounds that can never select enough clients for Krum, Multi-Krum or Bulyan', () => {
    expectRefused(
      { strategy: strategy('krum', { f: 2 }), config: { clientsPerRound: 6 } },
      'clientsPerRound',
      /strategy "krum" needs 7 updates per round \(more than 2f \+ 2 = 6 with f = 2\), but a round selects at most 6/,
    );
    expect(refusal({ strategy: strategy('krum', { f: 2 }), config: { clientsPerRound: 7 } })).toBeUndefined();
    expectRefused(
      { strategy: strategy('multi-krum', { f: 1, m: 9 }), config: { clientsPerRound: 8 } },
      'clientsPerRound',
      /needs 9 updates per round \(m = 9 of them to average\)/,
    );
    expectRefused(
      { strategy: strategy('bulyan', { f: 1 }), config: { clientsPerRound: 6 } },
      'clientsPerRound',
      /strategy "bulyan" needs 7 updates per round \(at least 4f \+ 3 = 7 with f = 1\)/,
    );
    // Poisson sampling may select more than clientsPerRound; the aggregator refuses a round too small.
    expect(
      refusal({
        strategy: strategy('krum', { f: 2 }),
        config: { clientsPerRound: 6, clientSampling: 'poisson' },
      }),
    ).toBeUndefined();
  });
});

describe('what the server must provide', () => {
  it('refuses FLTrust without root data on the server, before any round', () => {
    expectRefused(
      { strategy: strategy('fltrust') },
      'strategy',
      /strategy "fltrust" trains on the server's own/,
    );
    expect(refusal({ strategy: strategy('fltrust'), serverFit: true })).toBeUndefined();
  });
});

/**
 * The registry (names, validated parameters, catalog) and the rules every registered strategy shares: refuse an
 * empty round, reject non-finite, mis-shaped and duplicate updates naming the client. Norm bounding (Sun et al.
 * 2019, "Can You Really Backdoor Federated Learning?") is tested here as well, on hand-computed cases.
 */
import { describe, expect, it } from 'vitest';
import { FlotillaError, ParameterSet, Rng, type FitConfig } from '../core/index.js';
import { INITIAL_LOSS_METRIC } from './qfedavg.js';
import { STRATEGY_CATALOG, STRATEGY_NAMES, createStrategy } from './registry.js';
import type { Strategy } from './strategy.js';

/** Minimal parameters for strategies that have required ones. */
const REQUIRED: Record<string, Record<string, unknown>> = {
  krum: { f: 0 },
  'multi-krum': { f: 0 },
  bulyan: { f: 0 },
  'centered-clipping': { tau: 1 },
  'norm-bounding': { normBound: 1 },
};

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;
const fitConfig: FitConfig = {
  round: 1,
  seed: 0,
  localEpochs: 1,
  batchSize: 1,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};

async function begin(strategy: Strategy, clients: string[]) {
  const context = {
    round: 1,
    global: new ParameterSet(layout),
    rng: new Rng(1),
    // FLTrust's root update: (1, 1), so the all-ones updates below are fully trusted.
    serverFit: async (params: ParameterSet) =>
      new ParameterSet(
        layout,
        params.data.map((v) => v + 1),
      ),
  };
  await strategy.prepareRound?.(context);
  strategy.configureFit(
    context,
    clients.map((clientId) => ({ clientId, config: fitConfig })),
  );
  return strategy.beginAggregation(context);
}

const result = (clientId: string, values: number[], numExamples = 1) => ({
  clientId,
  numExamples,
  localSteps: 1,
  metrics: { [INITIAL_LOSS_METRIC]: 1, loss: 0.5 },
  update: new ParameterSet(layout, new Float32Array(values)),
  // SCAFFOLD's clients send a control variate delta; the other strategies ignore it.
  controlDelta: new ParameterSet(layout),
});

function configError(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError && error.code === 'CONFIG_INVALID') return error;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('createStrategy', () => {
  it('builds every listed strategy under its name', () => {
    for (const name of STRATEGY_NAMES) expect(createStrategy(name, REQUIRED[name] ?? {}).name).toBe(name);
  });

  it("lists each strategy's requirements as its instances declare them at the default parameters", () => {
    for (const { name, requires } of STRATEGY_CATALOG) {
      // The fewest updates per round depends on f, which has no default: only instances declare it.
      const { minUpdates: _, ...declared } = createStrategy(name, REQUIRED[name] ?? {}).requires ?? {};
      expect(Object.keys(declared).length ? declared : undefined, name).toEqual(requires);
    }
    const sgdOnly = STRATEGY_CATALOG.filter((d) => d.requires?.localSgd).map((d) => d.name);
    expect(sgdOnly).toEqual(['scaffold', 'fednova', 'qfedavg']);
  });

  it('rejects unknown names, unknown keys, bad values and missing required values, naming the key', () => {
    expect(configError(() => createStrategy('fedsgd', {})).message).toMatch(/unknown strategy "fedsgd"/);
    const unknown = configError(() => createStrategy('fedadam', { lr: 0.1 }));
    expect(unknown.details['key']).toBe('lr');
    expect(unknown.message).toMatch(/unknown parameter "lr" \(allowed: serverLearningRate, beta1, tau/);
    expect(configError(() => createStrategy('fedadagrad', { beta2: 0.9 })).details['key']).toBe('beta2');
    const range = configError(() => createStrategy('fedadam', { beta1: 1 }));
    expect(range.message).toBe('strategy "fedadam": parameter "beta1" must be a number >= 0 and < 1, got 1');
    expect(configError(() => createStrategy('krum', { f: 1.5 })).message).toMatch(
      /"f" must be an integer >= 0/,
    );
    expect(configError(() => createStrategy('krum', {})).message).toMatch(/parameter "f" is required/);
    expect(configError(() => createStrategy('fedavg', { weighted: 'yes' })).message).toMatch(/true or false/);
    expect(configError(() => createStrategy('norm-bounding', { normBound: Number.NaN })).details['key']).toBe(
      'normBound',
    );
    expect(configError(() => createStrategy('trimmed-mean', { beta: 0.6 })).details['key']).toBe('beta');
    expect(configError(() => createStrategy('median', { f: 1 })).message).toMatch(/allowed: none/);
    expect(configError(() => createStrategy('fedavg', [] as never)).message).toMatch(/must be an object/);
  });

  it('fills in defaults (FedOpt initialV defaults to tau^2)', () => {
    const state = createStrategy('fedadam', { tau: 0.5 }).saveState().json as {
      params: Record<string, number>;
    };
    expect(state.params).toEqual({
      serverLearningRate: 0.01,
      beta1: 0.9,
      beta2: 0.99,
      tau: 0.5,
      initialV: 0.25,
      weighted: true,
    });
  });

  it('describes every strategy and parameter for the CLI', () => {
    expect(STRATEGY_CATALOG.map((d) => d.name)).toEqual([...STRATEGY_NAMES]);
    for (const description of STRATEGY_CATALOG) {
      expect(description.summary.length).toBeGreaterThan(0);
      expect(description.reference.length).toBeGreaterThan(0);
      for (const p of description.params) expect(p.description.length).toBeGreaterThan(0);
    }
    const fedavg = STRATEGY_CATALOG.find((d) => d.name === 'fedavg')!;
    expect(fedavg.params).toEqual([
      expect.objectContaining({ name: 'weighted', type: 'boolean', default: true }),
    ]);
  });
});

describe('every strategy', () => {
  for (const name of STRATEGY_NAMES) {
    it(`${name}: refuses an empty round and rejects bad updates naming the client`, async () => {
      const make = () => createStrategy(name, REQUIRED[name] ?? {});
      const empty = await begin(make(), ['a']);
      expect(() => empty.finish([{ clientId: 'a', cause: 'deadline', message: 'late' }])).toThrow(
        expect.objectContaining({
          code: 'STRATEGY_FAILED',
          message: expect.stringMatching(/no client updates/),
        }),
      );

      const aggregator = await begin(make(), ['a', 'b', 'c', 'd']);
      expect(() => aggregator.add(result('a', [1, Number.NaN]))).toThrow(
        expect.objectContaining({
          code: 'NON_FINITE',
          message: expect.stringMatching(/client "a".*tensor "w"/),
        }),
      );
      expect(() => aggregator.add(result('b', [Number.POSITIVE_INFINITY, 0]))).toThrow(
        expect.objectContaining({ code: 'NON_FINITE' }),
      );
      const other = ParameterSet.fromTensors([{ name: 'v', shape: [2], values: new Float32Array(2) }]);
      expect(() => aggregator.add({ ...result('c', [0, 0]), update: other })).toThrow(
        expect.objectContaining({ code: 'SHAPE_MISMATCH', message: expect.stringMatching(/client "c"/) }),
      );
      // Rejected results leave the round usable: three good updates aggregate.
      aggregator.add(result('a', [1, 1]));
      aggregator.add(result('b', [1, 1]));
      aggregator.add(result('c', [1, 1]));
      // FedAvg (fixed contract code) relies on the engine for unique clients; every other rule also checks.
      if (name !== 'fedavg')
        expect(() => aggregator.add(result('a', [1, 1]))).toThrow(/more than one result/);
      const out = aggregator.finish([]);
      expect(out.params.layout.equals(layout)).toBe(true);
      expect(out.params.firstNonFinite()).toBe(-1);
      expect(out.metrics['loss']).toBe(0.5);
    });
  }
});

describe('norm bounding (Sun et al. 2019)', () => {
  it('clips each update to the bound, then takes the weighted mean', async () => {
    // (3, 4) has norm 5 -> (0.6, 0.8) with weight 1; (0, 0.5) is within the bound, weight 3:
    // (0.6, 0.8) / 4 + 3 (0, 0.5) / 4 = (0.15, 0.575)
    const aggregator = await begin(createStrategy('norm-bounding', { normBound: 1 }), []);
    aggregator.add(result('a', [3, 4], 1));
    aggregator.add(result('b', [0, 0.5], 3));
    const out = aggregator.finish([]);
    expect(out.params.data[0]).toBeCloseTo(0.15, 6);
    expect(out.params.data[1]).toBeCloseTo(0.575, 6);
    expect(out.metrics['clippedUpdates']).toBe(1);
  });

  it('leaves an update exactly at the bound alone and clips one client', async () => {
    const unweighted = await begin(createStrategy('norm-bounding', { normBound: 5, weighted: false }), []);
    unweighted.add(result('a', [3, 4], 7));
    unweighted.add(result('b', [0, 20], 1));
    // (3, 4) kept, (0, 20) -> (0, 5): mean (1.5, 4.5)
    expect([...unweighted.finish([]).params.data]).toEqual([1.5, 4.5]);
    const one = await begin(createStrategy('norm-bounding', { normBound: 1 }), []);
    one.add(result('a', [0, -2]));
    expect([...one.finish([]).params.data]).toEqual([0, -1]);
  });
});

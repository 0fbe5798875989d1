import { describe, expect, it } from 'vitest';
import { ParameterSet, Rng, isFlotillaError } from '../../core/index.js';
import type { ClientFitResult, RoundContext } from '../strategy.js';
import { FLTrust } from './fltrust.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;
const vec = (...v: number[]) => new ParameterSet(layout, Float32Array.from(v));
const update = (clientId: string, ...v: number[]): ClientFitResult => ({
  clientId,
  numExamples: 10,
  localSteps: 1,
  metrics: {},
  update: vec(...v),
});

/** A context whose server training moves the global model by `root`. */
function context(root: number[]): RoundContext {
  const global = vec(1, 1);
  return {
    round: 1,
    global,
    rng: new Rng(1),
    serverFit: async (params) => vec(params.data[0]! + root[0]!, params.data[1]! + root[1]!),
  };
}

async function aggregate(strategy: FLTrust, root: number[], results: ClientFitResult[]) {
  const ctx = context(root);
  await strategy.prepareRound(ctx);
  const aggregator = strategy.beginAggregation(ctx);
  for (const r of results) aggregator.add(r);
  return aggregator.finish([]);
}

describe('FLTrust (Cao et al. 2021)', () => {
  it('weights clients by ReLU(cosine) with the root update and rescales them to its norm', async () => {
    // g0 = (1, 0). (2, 2): cos = 1/sqrt 2, rescaled to (1, 1)/sqrt 2; (-3, 0): cos -1 -> 0; (0, 5): cos 0 -> 0;
    // (4, 0): cos 1, rescaled to (1, 0). g = (s (1, 1)/sqrt 2 + (1, 0)) / (s + 1) with s = 1/sqrt 2
    //       = (1.5, 0.5) / (1 + 1/sqrt 2).
    const out = await aggregate(
      new FLTrust(),
      [1, 0],
      [update('a', 2, 2), update('b', -3, 0), update('c', 0, 5), update('d', 4, 0)],
    );
    const denominator = 1 + Math.SQRT1_2;
    expect(out.params.data[0]).toBeCloseTo(1 + 1.5 / denominator, 6);
    expect(out.params.data[1]).toBeCloseTo(1 + 0.5 / denominator, 6);
    expect(out.metrics['trustedClients']).toBe(2);
  });

  it('does not let a huge update dominate, and scales by the server learning rate', async () => {
    const out = await aggregate(new FLTrust({ serverLearningRate: 0.5 }), [0, 2], [update('big', 0, 1e6)]);
    expect(Array.from(out.params.data)).toEqual([1, 1 + 0.5 * 2]);
  });

  it('does not move when every client disagrees with the root update', async () => {
    const out = await aggregate(
      new FLTrust(),
      [1, 1],
      [update('a', -1, -1), update('b', -2, 0), update('z', 0, 0)],
    );
    expect(Array.from(out.params.data)).toEqual([1, 1]);
    expect(out.metrics['trustedClients']).toBe(0);
  });

  it('needs a server root dataset and a prepared round', async () => {
    const strategy = new FLTrust();
    const { serverFit: _unused, ...withoutRoot } = context([1, 0]);
    const error = await strategy.prepareRound(withoutRoot).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
    expect(() => strategy.beginAggregation(context([1, 0]))).toThrow(/no root update/);
  });
});

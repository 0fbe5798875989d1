import { describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet, isFlotillaError, l2Norm, type FitConfig } from '../core/index.js';
import { CLIENT_EPSILON_METRIC, CLIPPED_METRIC, computeEpsilon } from '../privacy/index.js';
import { ClientPrivacy } from './privacy.js';

const layout = new ParameterLayout([{ name: 'w', shape: [2000] }]);
const config: FitConfig = {
  round: 1,
  seed: 5,
  localEpochs: 1,
  batchSize: 10,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};
const out = (localSteps = 5, numExamples = 100) => ({
  params: ParameterSet.zeros(layout),
  numExamples,
  localSteps,
  metrics: {},
});
const big = () => new ParameterSet(layout, new Float32Array(2000).fill(1)); // norm ~44.7

describe('ClientPrivacy', () => {
  it('clips the update to clipNorm and reports the bit; charges nothing for plain clipping', () => {
    const privacy = new ClientPrivacy('seeded', undefined);
    const update = big();
    const metrics = privacy.process(update, { ...config, clipNorm: 2 }, out());
    expect(l2Norm(update)).toBeLessThanOrEqual(2);
    expect(l2Norm(update)).toBeGreaterThan(2 - 1e-5);
    expect(metrics).toEqual({ [CLIPPED_METRIC]: 1 });
    const small = new ParameterSet(layout, new Float32Array(2000).fill(0.001));
    expect(privacy.process(small, { ...config, clipNorm: 2 }, out())).toEqual({ [CLIPPED_METRIC]: 0 });
    expect(privacy.accountant.entries).toHaveLength(0);
  });

  it('local DP adds N(0, (z C)^2) per coordinate, seeded noise is reproducible, and the client keeps its epsilon', () => {
    const run = () => {
      const privacy = new ClientPrivacy('seeded', undefined);
      const update = ParameterSet.zeros(layout);
      const metrics = privacy.process(
        update,
        { ...config, clipNorm: 0.5, localNoiseMultiplier: 2, privacyDelta: 1e-5 },
        out(),
      );
      return { update, metrics };
    };
    const { update, metrics } = run();
    const values = Array.from(update.data);
    const sd = Math.sqrt(values.reduce((a, b) => a + b * b, 0) / values.length);
    expect(Math.abs(sd / 1 - 1)).toBeLessThan(5 / Math.sqrt(2 * values.length)); // z C = 1
    expect(Array.from(run().update.data)).toEqual(values);
    // Gaussian mechanism at z / 2 = 1: RDP alpha / 2, converted at delta 1e-5.
    expect(metrics[CLIENT_EPSILON_METRIC]).toBeGreaterThan(3);
    expect(metrics[CLIENT_EPSILON_METRIC]).toBeLessThan(6);
  });

  it('accounts DP-SGD as localSteps sampled-Gaussian steps at rate batchSize / numExamples', () => {
    const privacy = new ClientPrivacy('secure', undefined);
    const metrics = privacy.process(
      ParameterSet.zeros(layout),
      { ...config, exampleClipNorm: 1, exampleNoiseMultiplier: 1.1, privacyDelta: 1e-5 },
      out(50, 100),
    );
    const expected = computeEpsilon({ samplingRate: 0.1, noiseMultiplier: 1.1, steps: 50, delta: 1e-5 });
    expect(metrics[CLIENT_EPSILON_METRIC]).toBeCloseTo(expected.epsilon, 10);
  });

  it("refuses to send an update that would exceed the client's budget, spending nothing", () => {
    const privacy = new ClientPrivacy('seeded', { epsilon: 3, delta: 1e-5 });
    const dpSgd = { ...config, exampleClipNorm: 1, exampleNoiseMultiplier: 1.1 };
    let sent = 0;
    let refusal: unknown;
    for (let round = 1; round <= 50 && !refusal; round++) {
      try {
        privacy.process(ParameterSet.zeros(layout), { ...dpSgd, round }, out(50, 100));
        sent += 1;
      } catch (error) {
        refusal = error;
      }
    }
    expect(isFlotillaError(refusal, 'PRIVACY_BUDGET_EXHAUSTED')).toBe(true);
    expect((refusal as Error).message).toMatch(
      /above its budget 3 at delta 0.00001; the update was not sent/,
    );
    expect(privacy.accountant.entries).toHaveLength(sent);
    expect(privacy.accountant.getEpsilon(1e-5).epsilon).toBeLessThanOrEqual(3);
  });
});

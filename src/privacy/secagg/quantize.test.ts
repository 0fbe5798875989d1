import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import { checkModulusCapacity, resolveRoundParams } from './config.js';
import { clientWeight, dequantize, quantizationErrorBound, quantize } from './quantize.js';

const params = { clippingRange: 2, quantizationBits: 4, maxWeight: 10, modulusBits: 32 };

describe('quantization for secure aggregation', () => {
  it('is unbiased: the mean of many stochastic roundings is the clipped value', () => {
    const rng = new Rng(3);
    const x = Float32Array.of(0.123, -1.77, 5, -9);
    const sums = new Float64Array(4);
    const trials = 20000;
    for (let i = 0; i < trials; i++) {
      const { weightedSum } = dequantize(quantize(x, 1, params, rng), params);
      weightedSum.forEach((v, j) => (sums[j]! += v));
    }
    const means = [...sums].map((s) => s / trials);
    // One step is 4/15; the mean of 20,000 roundings is within a few hundredths of a step.
    expect(means[0]).toBeCloseTo(0.123, 2);
    expect(means[1]).toBeCloseTo(-1.77, 2);
    expect(means[2]).toBeCloseTo(2, 5); // clipped to c, exactly representable
    expect(means[3]).toBeCloseTo(-2, 5);
  });

  it('weights values, appends the weight, and dequantizes sums within the error bound', () => {
    const rng = new Rng(4);
    const a = Float32Array.of(0.5, -0.25);
    const b = Float32Array.of(1.5, 0.75);
    const qa = quantize(a, 3, params, rng);
    const qb = quantize(b, 7, params, rng);
    expect(qa[2]).toBe(3);
    expect(qa[0]! % 3).toBe(0);
    const sum = qa.map((v, i) => v + qb[i]!);
    const { weightedSum, weightTotal } = dequantize(sum, params);
    expect(weightTotal).toBe(10);
    const bound = quantizationErrorBound(10, params);
    expect(Math.abs(weightedSum[0]! - (3 * 0.5 + 7 * 1.5))).toBeLessThanOrEqual(bound);
    expect(Math.abs(weightedSum[1]! - (3 * -0.25 + 7 * 0.75))).toBeLessThanOrEqual(bound);
  });

  it('caps weights at maxWeight', () => {
    expect(clientWeight(5000, 256)).toBe(256);
    expect(clientWeight(17.9, 256)).toBe(17);
  });

  it('refuses a modulus that cannot hold the sum, naming the values', () => {
    expect(() =>
      checkModulusCapacity(100, { clippingRange: 1, quantizationBits: 16, maxWeight: 1000, modulusBits: 32 }),
    ).toThrow(
      /modulus 2\^32 cannot hold the sum of n = 100 .*maxWeight \(1000\).*quantizationBits = 16\) = 6553500000 > 2\^32 - 1 = 4294967295/,
    );
    const setup = { session: 's', round: 1, n: 10, dimension: 4, graphSeed: new Uint8Array(32) };
    expect(() => resolveRoundParams({ modulusBits: 16, quantizationBits: 12 }, setup)).toThrow(
      /CONFIG_INVALID|modulus 2\^16/,
    );
    expect(() => resolveRoundParams({ threshold: 3 }, setup)).toThrow(/not more than half the group of 10/);
    expect(() => resolveRoundParams({ threshold: 11 }, setup)).toThrow(/exceeds the group size 10/);
    expect(resolveRoundParams({ threshold: 0.7 }, setup).threshold).toBe(7);
    expect(resolveRoundParams({}, setup)).toMatchObject({ neighbours: 9, threshold: 6 });
  });
});

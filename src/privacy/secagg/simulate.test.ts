import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/index.js';
import type { Stage } from './messages.js';
import { quantizationErrorBound } from './quantize.js';
import { runSecureAggregation, type SimulationResult } from './simulate.js';

const CLIP = 1;
const QUANT = { clippingRange: CLIP, quantizationBits: 12, maxWeight: 64, modulusBits: 32 };

function inputs(n: number, d: number, seed: number): { updates: Float32Array[]; weights: number[] } {
  const rng = new Rng(seed);
  return {
    // Some values beyond the clipping range, to check that clipping is what is summed.
    updates: Array.from({ length: n }, () => Float32Array.from({ length: d }, () => rng.normal() * 0.6)),
    weights: Array.from({ length: n }, () => 1 + rng.nextInt(100)),
  };
}

/** The secure result equals the plain weighted sum of the included clients' clipped updates within quantization. */
function expectPlainSum(
  result: SimulationResult,
  updates: readonly Float32Array[],
  weights: readonly number[],
  expectedIncluded: readonly number[],
): void {
  if (result.status !== 'completed') throw new Error(`round aborted: ${result.reason}`);
  expect(result.included).toEqual(expectedIncluded);
  const w = (u: number) => Math.min(weights[u]!, QUANT.maxWeight);
  const total = expectedIncluded.reduce((s, u) => s + w(u), 0);
  expect(result.weightTotal).toBe(total);
  const bound = quantizationErrorBound(total, QUANT) + 1e-3;
  let worst = 0;
  for (let i = 0; i < updates[0]!.length; i++) {
    let plain = 0;
    for (const u of expectedIncluded) plain += w(u) * Math.min(CLIP, Math.max(-CLIP, updates[u]![i]!));
    worst = Math.max(worst, Math.abs(plain - result.weightedSum[i]!));
    expect(Math.abs(result.mean[i]! - plain / total)).toBeLessThanOrEqual(bound / total);
  }
  expect(worst).toBeLessThanOrEqual(bound);
}

/** `count` distinct clients chosen by a seeded stream. */
function pick(n: number, count: number, seed: number): number[] {
  return new Rng(seed).sample(
    Array.from({ length: n }, (_, i) => i),
    count,
  );
}

const without = (n: number, gone: readonly number[]): number[] =>
  Array.from({ length: n }, (_, i) => i).filter((i) => !gone.includes(i));

const STAGES: readonly Stage[] = [0, 1, 2, 3];

/** Who ends up in the sum when `gone` go silent at `stage`: dropouts in unmasking are already in. */
const includedAfter = (n: number, stage: Stage, gone: readonly number[]): number[] =>
  stage === 3 ? without(n, []) : without(n, gone);

describe('runSecureAggregation: the secure sum is the plain weighted sum', () => {
  for (const n of [3, 10]) {
    const t = Math.floor(n / 2) + 1;
    it(`n = ${n}, original protocol (k = n - 1, t = ${t}): 0, 1 and n - t dropouts at each stage`, async () => {
      const { updates, weights } = inputs(n, 40, n);
      const none = await runSecureAggregation({ updates, weights, config: QUANT, identities: true });
      expect(none.threshold).toBe(t);
      expect(none.neighbours).toBe(n - 1);
      expectPlainSum(none, updates, weights, without(n, []));
      for (const stage of STAGES) {
        for (const count of new Set([1, n - t])) {
          const gone = pick(n, count, 100 * stage + count);
          const result = await runSecureAggregation({
            updates,
            weights,
            config: QUANT,
            dropouts: { [stage]: gone },
          });
          expectPlainSum(result, updates, weights, includedAfter(n, stage, gone));
        }
      }
    });
  }

  it('n = 50, original protocol (k = 49, t = 26): 0 and n - t = 24 dropouts at each stage', async () => {
    const n = 50;
    const { updates, weights } = inputs(n, 16, 50);
    const config = { ...QUANT, neighbours: n - 1 };
    const none = await runSecureAggregation({ updates, weights, config });
    expect(none.threshold).toBe(26);
    expectPlainSum(none, updates, weights, without(n, []));
    for (const stage of STAGES) {
      const gone = pick(n, n - 26, stage);
      const result = await runSecureAggregation({ updates, weights, config, dropouts: { [stage]: gone } });
      expectPlainSum(result, updates, weights, includedAfter(n, stage, gone));
    }
  });

  it('n = 50, SecAgg+ (default k = 18, t = 10): 1 dropout at each stage, and dropouts at every stage at once', async () => {
    const n = 50;
    const { updates, weights } = inputs(n, 16, 51);
    const none = await runSecureAggregation({ updates, weights, config: QUANT });
    expect(none.neighbours).toBe(18);
    expect(none.threshold).toBe(10);
    expectPlainSum(none, updates, weights, without(n, []));
    for (const stage of STAGES) {
      const gone = pick(n, 1, 7 + stage);
      const result = await runSecureAggregation({
        updates,
        weights,
        config: QUANT,
        dropouts: { [stage]: gone },
      });
      expectPlainSum(result, updates, weights, includedAfter(n, stage, gone));
    }
    const mixed = await runSecureAggregation({
      updates,
      weights,
      config: QUANT,
      dropouts: { 0: [3], 1: [11, 30], 2: [17, 44], 3: [5, 25] },
    });
    expectPlainSum(mixed, updates, weights, without(n, [3, 11, 30, 17, 44]));
  });
});

describe('runSecureAggregation: below the threshold the round aborts and releases nothing', () => {
  const n = 10;
  const { updates, weights } = inputs(n, 8, 9);
  for (const stage of STAGES) {
    it(`aborts when n - t + 1 clients drop at stage ${stage}`, async () => {
      const result = await runSecureAggregation({
        updates,
        weights,
        config: QUANT,
        dropouts: { [stage]: pick(n, 5, stage) },
      });
      expect(result.status).toBe('aborted');
      if (result.status !== 'aborted') return;
      expect(result.stage).toBe(stage);
      expect(result.reason).toMatch(/below (the threshold )?t = 6/);
      expect(result).not.toHaveProperty('weightedSum');
      expect(result).not.toHaveProperty('mean');
    });
  }

  it('reports real byte counts per stage', async () => {
    const result = await runSecureAggregation({ updates, weights, config: QUANT });
    const masked = result.stages[2]!;
    // 16-byte header, 8 bytes of modulus and length, then (d + 1) uint32 values.
    expect(masked.uploadBytesPerClient).toBe(16 + 8 + 4 * 9);
    expect(result.stages.map((s) => s.survivors)).toEqual([10, 10, 10, 10]);
    expect(result.stages[0]!.downloadBytes).toBe(0);
    expect(result.stages[1]!.downloadBytes).toBeGreaterThan(0);
  });
});

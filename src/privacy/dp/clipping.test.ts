import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/errors.js';
import { l2Norm } from '../../core/kernels.js';
import { ParameterSet } from '../../core/parameters.js';
import { Rng } from '../../core/rng.js';
import { L2Clipping } from './clipping.js';

function randomUpdate(rng: Rng, scale: number): ParameterSet {
  const w = Float32Array.from({ length: 300 }, () => scale * rng.normal());
  const b = Float32Array.from({ length: 7 }, () => scale * rng.normal());
  return ParameterSet.fromTensors([
    { name: 'w', shape: [30, 10], values: w },
    { name: 'b', shape: [7], values: b },
  ]);
}

describe('L2Clipping', () => {
  it('bounds every contribution by the clip norm exactly, in float32', () => {
    const rng = new Rng(11);
    for (const clipNorm of [1e-3, 0.1, 1, 3.7, 1000]) {
      const stage = new L2Clipping(clipNorm);
      for (let i = 0; i < 200; i++) {
        const update = randomUpdate(rng, 10 ** (rng.next() * 8 - 4));
        const before = l2Norm(update);
        const original = update.clone();
        const result = stage.apply(update);
        expect(l2Norm(update)).toBeLessThanOrEqual(clipNorm);
        expect(result.clipped).toBe(before > clipNorm);
        if (result.clipped) {
          expect(l2Norm(update)).toBeGreaterThan(clipNorm * (1 - 1e-6)); // scaled, not shrunk further
          const expected = original.data[0]! * result.factor;
          expect(Math.abs(update.data[0]! - expected)).toBeLessThanOrEqual(1e-6 * Math.abs(expected));
        } else {
          expect(result.factor).toBe(1);
          expect(update.data).toEqual(original.data);
        }
      }
    }
  });

  it('costs no privacy by itself and reports its parameters', () => {
    const stage = new L2Clipping(2);
    expect(stage.privacyCost()).toBeNull();
    expect(stage.parameters()).toEqual({ clipNorm: 2 });
    expect(stage.name).toBe('l2-clip');
  });

  it('rejects a bad clip norm and non-finite updates with typed errors', () => {
    const codes: unknown[] = [];
    for (const call of [
      () => new L2Clipping(0),
      () => new L2Clipping(NaN),
      () =>
        new L2Clipping(1).apply(
          ParameterSet.fromTensors([{ name: 'w', shape: [2], values: Float32Array.of(1, NaN) }]),
        ),
    ]) {
      try {
        call();
      } catch (error) {
        codes.push(isFlotillaError(error) ? error.code : error);
      }
    }
    expect(codes).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'NON_FINITE']);
  });
});

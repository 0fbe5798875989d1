import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { initBackend } from './backend.js';

function product(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): Float32Array {
  const rng = new Rng(aShape.concat(bShape).reduce((h, d) => h * 31 + d, 1));
  const values = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, () => rng.normal());
  return tf.tidy(
    () =>
      tf
        .matMul(tf.tensor(values(aShape), aShape), tf.tensor(values(bShape), bShape), transposeA, transposeB)
        .dataSync() as Float32Array,
  );
}

describe('BatchMatMul on wasm with a transposed first operand', () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  // [a shape, b shape, transposeA, transposeB]: the dense-gradient case, both transposed, batched, and untouched.
  it.each<[number[], number[], boolean, boolean]>([
    [[10, 784], [10, 200], true, false],
    [[7, 5], [3, 7], true, true],
    [[2, 6, 4], [2, 6, 3], true, false],
    [[4, 6], [6, 3], false, false],
    [[4, 6], [3, 6], false, true],
  ])('matches cpu for a %j, b %j, transposeA %s, transposeB %s', async (aShape, bShape, ta, tb) => {
    await initBackend('wasm');
    const before = tf.memory().numTensors;
    const got = product(aShape, bShape, ta, tb);
    expect(tf.memory().numTensors).toBe(before);
    await initBackend('cpu');
    const want = product(aShape, bShape, ta, tb);
    expect(got.length).toBe(want.length);
    const maxDiff = want.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i]!)), 0);
    const maxRef = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxDiff / maxRef).toBeLessThan(1e-5);
  });
});

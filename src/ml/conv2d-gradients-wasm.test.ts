import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { initBackend } from './backend.js';

function randomValues(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/**
 * dL/dx and dL/dW for L = sum(conv2d(x, w) * dy), i.e. exactly Conv2DBackpropInput(dy, w) and
 * Conv2DBackpropFilter(x, dy), on the active backend.
 */
function convGradients(
  x: Float32Array,
  xShape: [number, number, number, number],
  w: Float32Array,
  wShape: [number, number, number, number],
  dy: Float32Array,
  stride: number,
  pad: 'same' | 'valid',
): [Float32Array, Float32Array] {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, wShape);
    const outShape = tf.conv2d(xt, wt, stride, pad).shape;
    const dyt = tf.tensor4d(
      dy.subarray(
        0,
        outShape.reduce((a, b) => a * b, 1),
      ),
      outShape,
    );
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dyt)),
    );
    const [dx, dw] = grads([xt, wt]);
    return [dx!.dataSync() as Float32Array, dw!.dataSync() as Float32Array];
  });
}

function relativeError(got: Float32Array, want: Float32Array): number {
  expect(got.length).toBe(want.length);
  let maxRef = 0;
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
    maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
  }
  expect(maxRef).toBeGreaterThan(0);
  return maxDiff / maxRef;
}

// [x shape, filter shape, stride, padding]: same/valid, stride 1/2, non-square filters, and a valid/stride-2 case
// (8 -> 3 outputs) whose last input row is never used, which exercises the filter kernel's slicing branch. Stride-2
// input gradients go to the original wasm kernel, so those cases check the delegation.
const CASES: [
  [number, number, number, number],
  [number, number, number, number],
  number,
  'same' | 'valid',
][] = [
  [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'same'],
  [[2, 7, 7, 3], [3, 3, 3, 4], 1, 'valid'],
  [[2, 8, 8, 2], [3, 3, 2, 5], 2, 'same'],
  [[3, 9, 9, 2], [3, 3, 2, 3], 2, 'valid'],
  [[2, 8, 8, 2], [3, 3, 2, 3], 2, 'valid'],
  [[1, 6, 5, 1], [5, 4, 1, 2], 2, 'same'],
  [[2, 28, 28, 1], [5, 5, 1, 32], 1, 'same'],
  [[1, 14, 14, 32], [5, 5, 32, 64], 1, 'same'],
];

describe('convolution gradients on wasm (Conv2DBackpropFilter and Conv2DBackpropInput)', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });
  afterAll(async () => {
    await initBackend('wasm');
  });

  it.each(CASES)('match the cpu kernels for x %j, filter %j, stride %d, %s', async (xs, ws, stride, pad) => {
    const rng = new Rng(xs.concat(ws, [stride]).reduce((a, b) => a * 31 + b, 7));
    const x = randomValues(
      rng,
      xs.reduce((a, b) => a * b, 1),
    );
    const w = randomValues(
      rng,
      ws.reduce((a, b) => a * b, 1),
    );
    const dy = randomValues(rng, xs[0] * xs[1] * xs[2] * ws[3]); // enough for any output size here

    await initBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const [dxWasm, dwWasm] = convGradients(x, xs, w, ws, dy, stride, pad);
    expect(tf.memory().numTensors).toBe(before);

    await initBackend('cpu');
    const [dxCpu, dwCpu] = convGradients(x, xs, w, ws, dy, stride, pad);

    expect(relativeError(dwWasm, dwCpu)).toBeLessThan(1e-5);
    expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-5);
  });
});

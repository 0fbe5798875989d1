import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../core/dataset.js';
import { isFlotillaError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { FitConfig } from '../core/trainer.js';
import { initBackend } from './backend.js';
import { clippedGradientSum, denseStack, loopClippedSum, type DpNoiseFactory } from './dp-sgd.js';
import { SharedModel } from './shared-model.js';
import { TfjsTrainer } from './trainer.js';

function randomDataset(size: number, width: number, numClasses: number, seed: number): Dataset {
  const rng = new Rng(seed);
  return {
    name: 'random',
    features: Float32Array.from({ length: size * width }, () => 3 * rng.normal()),
    labels: Int32Array.from({ length: size }, () => rng.nextInt(numClasses)),
    featureShape: [width],
    numClasses,
    size,
  };
}

/** Seeded noise from core's Rng (privacy's SeededNoise has the same shape; ml may not import privacy). */
const seededNoise: DpNoiseFactory = (seed) => {
  const rng = new Rng(seed).split('dp-sgd');
  return {
    addGaussian: (target, stddev) => target.forEach((v, i) => (target[i] = v + stddev * rng.normal())),
  };
};

const DP: FitConfig = {
  round: 1,
  seed: 9,
  localEpochs: 2,
  batchSize: 8,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
  exampleClipNorm: 0.5,
  exampleNoiseMultiplier: 1.1,
};

beforeAll(async () => {
  await initBackend('wasm');
});

describe('DP-SGD per-example clipping', () => {
  it('equals the hand-computed sum of clipped per-example gradients of softmax regression', () => {
    const model = SharedModel.create('logreg', { inputShape: [3], numClasses: 3, seed: 4 });
    const params = model.getParameters();
    const [W, b] = [params.data.subarray(0, 9), params.data.subarray(9, 12)]; // kernel [3, 3], bias [3]
    const data = randomDataset(5, 3, 3, 1);
    const clip = 1.5;
    // By hand: dL/dz = softmax(z) - onehot(y); dL/dW[j][k] = x_j (dL/dz_k); dL/db = dL/dz.
    const expectedW = new Float64Array(9);
    const expectedB = new Float64Array(3);
    let clippedCount = 0;
    for (let i = 0; i < data.size; i++) {
      const x = data.features.subarray(3 * i, 3 * i + 3);
      const z = [0, 1, 2].map((k) => b[k]! + x[0]! * W[k]! + x[1]! * W[3 + k]! + x[2]! * W[6 + k]!);
      const max = Math.max(...z);
      const exp = z.map((v) => Math.exp(v - max));
      const total = exp.reduce((s, v) => s + v, 0);
      const g = exp.map((v, k) => v / total - (k === data.labels[i] ? 1 : 0));
      const gradW = [0, 1, 2].flatMap((j) => g.map((gk) => x[j]! * gk));
      const norm = Math.hypot(...gradW, ...g);
      const factor = Math.min(1, clip / norm);
      if (factor < 1) clippedCount++;
      gradW.forEach((v, k) => (expectedW[k] = expectedW[k]! + factor * v));
      g.forEach((v, k) => (expectedB[k] = expectedB[k]! + factor * v));
    }
    expect(clippedCount).toBeGreaterThan(0); // the test exercises clipping, not just summing
    expect(clippedCount).toBeLessThan(data.size);
    const { xs, ys } = {
      xs: tf.tensor2d(data.features, [5, 3]),
      ys: tf.tensor1d(data.labels, 'int32'),
    };
    expect(denseStack(model)).toHaveLength(1);
    for (const method of [clippedGradientSum, loopClippedSum]) {
      const sum = method(model, xs, ys, clip);
      const [kernel, bias] = model.trainableVariables;
      const gotW = sum.grads[kernel!.name]!.dataSync();
      const gotB = sum.grads[bias!.name]!.dataSync();
      expectedW.forEach((v, k) => expect(gotW[k]).toBeCloseTo(v, 4));
      expectedB.forEach((v, k) => expect(gotB[k]).toBeCloseTo(v, 4));
      tf.dispose([...Object.values(sum.grads), sum.lossSum, sum.hits]);
    }
    tf.dispose([xs, ys]);
    model.dispose();
  });

  it('the batched dense method agrees with one backward pass per example on an MLP', () => {
    const model = SharedModel.create('mlp', { inputShape: [6], numClasses: 4, seed: 2, hidden: [7, 5] });
    const data = randomDataset(9, 6, 4, 3);
    const xs = tf.tensor2d(data.features, [9, 6]);
    const ys = tf.tensor1d(data.labels, 'int32');
    const fast = clippedGradientSum(model, xs, ys, 0.3);
    const slow = loopClippedSum(model, xs, ys, 0.3);
    for (const variable of model.trainableVariables) {
      const a = fast.grads[variable.name]!.dataSync();
      const b = slow.grads[variable.name]!.dataSync();
      a.forEach((v, k) => expect(v).toBeCloseTo(b[k]!, 4));
    }
    expect(fast.lossSum.dataSync()[0]).toBeCloseTo(slow.lossSum.dataSync()[0]!, 3);
    tf.dispose([xs, ys, fast.lossSum, fast.hits, slow.lossSum, slow.hits]);
    tf.dispose([...Object.values(fast.grads), ...Object.values(slow.grads)]);
    model.dispose();
  });
});

describe('TfjsTrainer with DP-SGD', () => {
  const data = randomDataset(40, 6, 3, 7);

  it('is deterministic with a seed, reports its steps, and leaks no tensors', async () => {
    const model = SharedModel.create('mlp', { inputShape: [6], numClasses: 3, seed: 1, hidden: [8] });
    const trainer = new TfjsTrainer(model, data, { dpNoise: seededNoise });
    const params = model.getParameters();
    await trainer.fit(params, DP); // warm-up: kernels and backend state allocate once
    const before = tf.memory().numTensors;
    const a = await trainer.fit(params, DP);
    const b = await trainer.fit(params, DP);
    const shuffled = await trainer.fit(params, { ...DP, exampleSampling: 'shuffle' });
    const cnn = SharedModel.create('cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    expect(denseStack(cnn)).toBeUndefined();
    cnn.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(a.params.data)).toEqual(Array.from(b.params.data));
    expect(a.localSteps).toBe(10); // 2 epochs x round(40 / 8)
    expect(shuffled.localSteps).toBe(10);
    const other = await trainer.fit(params, { ...DP, seed: 10 });
    expect(Array.from(other.params.data)).not.toEqual(Array.from(a.params.data));
    model.dispose();
  });

  it('refuses a DP-SGD fit without a noise source', async () => {
    const model = SharedModel.create('logreg', { inputShape: [6], numClasses: 3, seed: 1 });
    const error = await new TfjsTrainer(model, data).fit(model.getParameters(), DP).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
    model.dispose();
  });
});

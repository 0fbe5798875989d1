import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/errors.js';
import { ParameterSet } from '../core/parameters.js';
import { initBackend } from './backend.js';
import {
  createModel,
  initialParameters,
  modelLayout,
  modelToParameters,
  setModelParameters,
  type ModelName,
} from './models.js';

const MNIST = { inputShape: [28, 28, 1], numClasses: 10 };

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('model zoo', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it.each<[ModelName, object, number]>([
    // 784*10 + 10
    ['logreg', MNIST, 7_850],
    // McMahan et al. 2017 2NN: 784*200+200 + 200*200+200 + 200*10+10
    ['mlp', MNIST, 199_210],
    // McMahan et al. 2017 CNN: 5*5*32+32 + 5*5*32*64+64 + 7*7*64*512+512 + 512*10+10
    ['cnn', MNIST, 1_663_370],
    // 30 features: 30*32+32 + 32*16+16 + 16*1+1
    ['tabular-mlp', { inputShape: [30], numClasses: 2 }, 1_537],
  ])('%s has the expected parameter count', (name, dims, count) => {
    const params = initialParameters(name, dims as typeof MNIST, 1);
    expect(params.size).toBe(count);
  });

  it('names weights by layer type and index, independent of how many models exist', () => {
    const first = initialParameters('cnn', MNIST, 1).layout;
    const again = initialParameters('cnn', MNIST, 1).layout;
    expect(first.specs.map((s) => `${s.name}[${s.shape.join('x')}]`)).toEqual([
      'conv2d_0/kernel[5x5x1x32]',
      'conv2d_0/bias[32]',
      'conv2d_1/kernel[5x5x32x64]',
      'conv2d_1/bias[64]',
      'dense_0/kernel[3136x512]',
      'dense_0/bias[512]',
      'dense_1/kernel[512x10]',
      'dense_1/bias[10]',
    ]);
    expect(again.equals(first)).toBe(true);
  });

  it('uses the seed: same seed, same weights; other seed, other weights; Glorot range; zero biases', () => {
    const a = initialParameters('mlp', MNIST, 42);
    const b = initialParameters('mlp', MNIST, 42);
    const c = initialParameters('mlp', MNIST, 43);
    expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    expect(Buffer.from(c.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(false);
    const kernel = a.tensor('dense_0/kernel');
    const limit = Math.sqrt(6 / (784 + 200));
    const max = kernel.reduce((m, v) => Math.max(m, v), -Infinity);
    const min = kernel.reduce((m, v) => Math.min(m, v), Infinity);
    expect(max).toBeLessThanOrEqual(limit);
    expect(min).toBeGreaterThanOrEqual(-limit);
    expect(max).toBeGreaterThan(0.95 * limit);
    expect(a.tensor('dense_0/bias').every((v) => v === 0)).toBe(true);
  });

  it('round-trips parameters through a model without leaking tensors', () => {
    const model = createModel('tabular-mlp', { inputShape: [4], numClasses: 2, seed: 3 });
    const before = tf.memory().numTensors;
    const params = ParameterSet.zeros(modelLayout(model));
    params.data.forEach((_, i) => (params.data[i] = i / 100));
    setModelParameters(model, params);
    params.data[0] = 99; // the model must hold its own copy
    const back = modelToParameters(model);
    expect(back.data[0]).toBe(0);
    expect(back.data[5]).toBeCloseTo(0.05, 7);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('rejects parameters of another layout with SHAPE_MISMATCH naming the tensor', () => {
    const model = createModel('logreg', { inputShape: [4], numClasses: 3, seed: 1 });
    const wrong = initialParameters('logreg', { inputShape: [5], numClasses: 3 }, 1);
    const error = thrownBy(() => setModelParameters(model, wrong));
    expect(isFlotillaError(error, 'SHAPE_MISMATCH')).toBe(true);
    expect((error as Error).message).toMatch(/dense_0\/kernel\[4x3\] vs dense_0\/kernel\[5x3\]/);
    model.dispose();
  });

  it('rejects invalid options with INVALID_ARGUMENT', () => {
    const cases: [ModelName, object][] = [
      ['tabular-mlp', { inputShape: [4], numClasses: 3, seed: 1 }],
      ['cnn', { inputShape: [784], numClasses: 10, seed: 1 }],
      ['logreg', { inputShape: [4], numClasses: 3, seed: 1, hidden: [8] }],
      ['mlp', { inputShape: [4], numClasses: 1, seed: 1 }],
      ['mlp', { inputShape: [4], numClasses: 3, seed: 1, hidden: [0] }],
      ['nope' as ModelName, { inputShape: [4], numClasses: 3, seed: 1 }],
    ];
    for (const [name, options] of cases) {
      const error = thrownBy(() => createModel(name, options as Parameters<typeof createModel>[1]));
      expect(isFlotillaError(error, 'INVALID_ARGUMENT'), `${name} ${JSON.stringify(options)}`).toBe(true);
    }
  });

  it('predicts probabilities: softmax rows sum to 1, sigmoid in (0, 1)', () => {
    const multi = createModel('mlp', { inputShape: [6], numClasses: 4, seed: 1, hidden: [5] });
    const binary = createModel('tabular-mlp', { inputShape: [6], numClasses: 2, seed: 1 });
    const x = tf.randomNormal([3, 6], 0, 1, 'float32', 7);
    const p = multi.predict(x) as tf.Tensor;
    const q = binary.predict(x) as tf.Tensor;
    expect(p.shape).toEqual([3, 4]);
    expect(q.shape).toEqual([3, 1]);
    const rows = p.sum(1);
    for (const s of rows.dataSync()) expect(s).toBeCloseTo(1, 5);
    for (const v of q.dataSync()) expect(v > 0 && v < 1).toBe(true);
    tf.dispose([x, p, q, rows]);
    multi.dispose();
    binary.dispose();
  });
});

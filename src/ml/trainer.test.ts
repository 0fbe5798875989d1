import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../core/dataset.js';
import { isFlotillaError } from '../core/errors.js';
import { ParameterSet } from '../core/parameters.js';
import { Rng } from '../core/rng.js';
import type { FitConfig, FitOutput } from '../core/trainer.js';
import { initBackend } from './backend.js';
import { binaryMetrics } from './metrics.js';
import { initialParameters, type ModelDims, type ModelName } from './models.js';
import { SharedModel } from './shared-model.js';
import { TfjsTrainer, trainCentral } from './trainer.js';

const SGD: FitConfig = {
  round: 1,
  seed: 5,
  localEpochs: 1,
  batchSize: 1,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};

function dataset(features: number[], labels: number[], featureShape: number[], numClasses: number): Dataset {
  return {
    name: 'test',
    features: Float32Array.from(features),
    labels: Int32Array.from(labels),
    featureShape,
    numClasses,
    size: labels.length,
  };
}

function randomDataset(size: number, featureShape: number[], numClasses: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const width = featureShape.reduce((a, b) => a * b, 1);
  return dataset(
    Array.from({ length: size * width }, () => rng.normal()),
    Array.from({ length: size }, () => rng.nextInt(numClasses)),
    featureShape,
    numClasses,
  );
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** The error a promise rejects with (fit and evaluate report every error as a rejection, never a throw). */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/**
 * Reference multinomial logistic regression in float64: W is [d x k] row-major, b is [k]. Runs minibatch steps of
 * one example in the trainer's order with plain SGD, heavy-ball momentum or Adam (tfjs's formulas, epsilon 1e-7).
 */
function referenceLogreg(
  w0: Float32Array,
  data: Dataset,
  order: Uint32Array,
  config: FitConfig,
): { params: number[]; losses: number[] } {
  const d = data.featureShape[0]!;
  const k = data.numClasses;
  const p = Array.from(w0);
  const m = new Array<number>(p.length).fill(0);
  const v = new Array<number>(p.length).fill(0);
  const losses: number[] = [];
  order.forEach((row, t) => {
    const x = Array.from(data.features.subarray(row * d, (row + 1) * d));
    const y = data.labels[row]!;
    const z = Array.from(
      { length: k },
      (_, j) => p[d * k + j]! + x.reduce((s, xi, i) => s + xi * p[i * k + j]!, 0),
    );
    const max = Math.max(...z);
    const e = z.map((zj) => Math.exp(zj - max));
    const sum = e.reduce((a, b) => a + b, 0);
    losses.push(-Math.log(e[y]! / sum));
    const gz = e.map((ej, j) => ej / sum - (j === y ? 1 : 0));
    const grad = [...x.flatMap((xi) => gz.map((g) => xi * g)), ...gz];
    const lr = config.learningRate;
    grad.forEach((g, i) => {
      if (config.optimizer === 'adam') {
        m[i] = 0.9 * m[i]! + 0.1 * g;
        v[i] = 0.999 * v[i]! + 0.001 * g * g;
        const mHat = m[i]! / (1 - 0.9 ** (t + 1));
        const vHat = v[i]! / (1 - 0.999 ** (t + 1));
        p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + 1e-7);
      } else {
        m[i] = config.momentum * m[i]! + g;
        p[i] = p[i]! - lr * m[i]!;
      }
    });
  });
  return { params: p, losses };
}

describe('TfjsTrainer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  describe('matches a hand-written logistic regression', () => {
    const data = dataset([1, 2, -1, 0.5, -1, 2, -2, 0, 1], [2, 0, 1], [3], 3);
    it.each<[string, Partial<FitConfig>]>([
      ['sgd', {}],
      ['momentum sgd', { momentum: 0.9 }],
      ['adam', { optimizer: 'adam', learningRate: 0.05 }],
    ])('%s, batch 1, two epochs', async (_, overrides) => {
      const config = { ...SGD, ...overrides, localEpochs: 2 };
      const shared = SharedModel.create('logreg', { inputShape: [3], numClasses: 3, seed: 9 });
      const initial = initialParameters('logreg', { inputShape: [3], numClasses: 3 }, 9);
      const out = await new TfjsTrainer(shared, data).fit(initial, config);
      // The trainer shuffles each epoch from one new Rng(seed) stream.
      const rng = new Rng(config.seed);
      const order = Uint32Array.from([0, 1, 2]);
      rng.shuffleIndices(order);
      const firstEpoch = order.slice();
      rng.shuffleIndices(order); // the second epoch reshuffles the first epoch's order in place
      const steps = Uint32Array.from([...firstEpoch, ...order]);
      const reference = referenceLogreg(initial.data, data, steps, config);
      expect(out.localSteps).toBe(6);
      expect(out.numExamples).toBe(3);
      for (let i = 0; i < reference.params.length; i++) {
        expect(out.params.data[i]).toBeCloseTo(reference.params[i]!, 5);
      }
      const lastEpochLoss = reference.losses.slice(3).reduce((a, b) => a + b, 0) / 3;
      expect(out.metrics.loss).toBeCloseTo(lastEpochLoss, 5);
      expect(out.params.layout).toBe(initial.layout);
      shared.dispose();
    });
  });

  it('averages the gradient over a minibatch and counts partial batches as steps', async () => {
    const data = dataset([1, 0, 0, 1, 1, 1, 2, -1, 0.5], [0, 1, 2], [3], 3);
    const shared = SharedModel.create('logreg', { inputShape: [3], numClasses: 3, seed: 2 });
    const zero = ParameterSet.zeros(shared.layout);
    // batchSize 3 = one full-batch step from zero weights: p = 1/3 everywhere, so
    // grad W[i][j] = mean over rows of x_i (1/3 - [y == j]), grad b_j = 1/3 - 1/3 = 0.
    const full = await new TfjsTrainer(shared, data).fit(zero, { ...SGD, batchSize: 3 });
    expect(full.localSteps).toBe(1);
    const w = full.params.tensor('dense_0/kernel');
    const rows = [
      [1, 0, 0],
      [1, 1, 1],
      [2, -1, 0.5],
    ];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const grad = rows.reduce((s, x, r) => s + x[i]! * (1 / 3 - (r === j ? 1 : 0)), 0) / 3;
        expect(w[i * 3 + j]).toBeCloseTo(-0.1 * grad, 6);
      }
    }
    expect(full.metrics.loss).toBeCloseTo(Math.log(3), 6);
    const partial = await new TfjsTrainer(shared, data).fit(zero, { ...SGD, batchSize: 2, localEpochs: 3 });
    expect(partial.localSteps).toBe(6); // ceil(3 / 2) per epoch
    shared.dispose();
  });

  it('evaluates a binary model: stable BCE loss and the binary metrics', async () => {
    const dims = { inputShape: [2], numClasses: 2, hidden: [3] };
    const shared = SharedModel.create('tabular-mlp', { ...dims, seed: 1 });
    const params = ParameterSet.zeros(shared.layout);
    params.tensor('dense_0/kernel').set([1, -1, 0.5, 0.5, 2, -1]); // [2 x 3]
    params.tensor('dense_0/bias').set([0, 0.1, -0.2]);
    params.tensor('dense_1/kernel').set([1.5, -2, 0.7]); // [3 x 1]
    params.tensor('dense_1/bias').set([-0.3]);
    const data = dataset([1, 0, 0, 1, -1, 2, 3, 3, 0.5, -0.5, -2, -2], [1, 0, 1, 1, 0, 0], [2], 2);
    const scores: number[] = [];
    let loss = 0;
    for (let r = 0; r < data.size; r++) {
      const [x0, x1] = [data.features[2 * r]!, data.features[2 * r + 1]!];
      const h = [0, 1, 2].map((j) =>
        Math.max(0, x0 * params.data[j]! + x1 * params.data[3 + j]! + params.data[6 + j]!),
      );
      const z = h[0]! * 1.5 - h[1]! * 2 + h[2]! * 0.7 - 0.3;
      const s = 1 / (1 + Math.exp(-z));
      scores.push(s);
      loss -= data.labels[r] === 1 ? Math.log(s) : Math.log(1 - s);
    }
    const out = await new TfjsTrainer(shared, data).evaluate(params, { round: 1, batchSize: 4 });
    expect(out.numExamples).toBe(6);
    expect(out.loss).toBeCloseTo(loss / 6, 5);
    const want = binaryMetrics(scores, data.labels);
    for (const key of ['accuracy', 'precision', 'recall', 'f1', 'aucRoc', 'aucPr'] as const) {
      expect(out.metrics[key], key).toBeCloseTo(want[key], 6);
    }
    // 3 of 6 labels are 1: a tie, so the majority class is 0 (the smaller) and the baseline scores 3/6.
    expect(out.metrics['majorityAccuracy']).toBe(0.5);
    expect(out.metrics['prevalence']).toBe(0.5);
    // 4 of 6 positives: the baseline predicts 1 by default, or the commonest class of the labels it is given.
    const skewed = { ...data, labels: Int32Array.from([1, 1, 1, 1, 0, 0]) };
    const own = await new TfjsTrainer(shared, skewed).evaluate(params, { round: 1, batchSize: 4 });
    expect(own.metrics['majorityAccuracy']).toBeCloseTo(4 / 6, 12);
    const fromTraining = new TfjsTrainer(shared, skewed, { majorityFrom: [0, 0, 1] });
    const scored = await fromTraining.evaluateScored(params, { round: 1, batchSize: 4 });
    expect(scored.output.metrics['majorityAccuracy']).toBeCloseTo(2 / 6, 12);
    expect(Array.from(scored.scores!)).toEqual(scores.map((s) => expect.closeTo(s, 5)));
    shared.dispose();
  });

  it('is bit-for-bit deterministic across runs and across worker threads', async () => {
    const job = {
      model: 'mlp' as ModelName,
      dims: { inputShape: [8, 8, 1], numClasses: 4, hidden: [16] } satisfies ModelDims,
      seed: 11,
      data: randomDataset(40, [8, 8, 1], 4, 3),
      config: { ...SGD, localEpochs: 2, batchSize: 8, optimizer: 'adam', learningRate: 0.01 } as FitConfig,
    };
    const shared = SharedModel.create(job.model, { ...job.dims, seed: job.seed });
    const trainer = new TfjsTrainer(shared, job.data);
    const initial = initialParameters(job.model, job.dims, job.seed);
    const first = await trainer.fit(initial, job.config);
    const second = await trainer.fit(initial, job.config);
    expect(sameBits(first.params.data, second.params.data)).toBe(true);
    expect(second.metrics).toEqual(first.metrics);
    const other = await trainer.fit(initial, { ...job.config, seed: 12 });
    expect(sameBits(first.params.data, other.params.data)).toBe(false);

    // The worker thread has its own tfjs engine; tsx lets it import these TypeScript modules directly.
    const module = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);
    const worker = new Worker(
      `const { parentPort, workerData: job } = require('node:worker_threads');
      import('tsx/esm/api').then(async (api) => {
        api.register();
        const { initBackend } = await import(${module('./backend.ts')});
        const { initialParameters } = await import(${module('./models.ts')});
        const { SharedModel } = await import(${module('./shared-model.ts')});
        const { TfjsTrainer } = await import(${module('./trainer.ts')});
        const backend = await initBackend('wasm');
        const shared = SharedModel.create(job.model, { ...job.dims, seed: job.seed });
        const initial = initialParameters(job.model, job.dims, job.seed);
        const out = await new TfjsTrainer(shared, job.data).fit(initial, job.config);
        parentPort.postMessage({ backend, data: out.params.data, metrics: out.metrics });
      });`,
      { eval: true, workerData: job },
    );
    const fromWorker = await new Promise<{ backend: string; data: Float32Array; metrics: object }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    await worker.terminate();
    expect(fromWorker.backend).toBe('wasm');
    expect(sameBits(fromWorker.data, first.params.data)).toBe(true);
    expect(fromWorker.metrics).toEqual(first.metrics);
    shared.dispose();
  });

  it('shares one model between trainers: concurrent fits equal sequential ones', async () => {
    const dims = { inputShape: [5], numClasses: 3, hidden: [6] };
    const shared = SharedModel.create('mlp', { ...dims, seed: 1 });
    const initial = initialParameters('mlp', dims, 1);
    const trainers = [1, 2, 3].map((s) => new TfjsTrainer(shared, randomDataset(12, [5], 3, s)));
    const config = { ...SGD, batchSize: 4, momentum: 0.5 };
    const sequential: FitOutput[] = [];
    for (const t of trainers) sequential.push(await t.fit(initial, config));
    const concurrent = await Promise.all(trainers.map((t) => t.fit(initial, config)));
    concurrent.forEach((out, i) => expect(sameBits(out.params.data, sequential[i]!.params.data)).toBe(true));
    expect(sameBits(sequential[0]!.params.data, sequential[1]!.params.data)).toBe(false);
    shared.dispose();
  });

  it('leaks no tensors over 50 rounds of fit and evaluate with every optimizer', async () => {
    const dims = { inputShape: [6], numClasses: 2, hidden: [4] };
    const shared = SharedModel.create('tabular-mlp', { ...dims, seed: 1 });
    const trainer = new TfjsTrainer(shared, randomDataset(10, [6], 2, 1));
    let params = initialParameters('tabular-mlp', dims, 1);
    const optimizers: Partial<FitConfig>[] = [{}, { momentum: 0.9 }, { optimizer: 'adam' }];
    let afterFirst = 0;
    for (let round = 1; round <= 50; round++) {
      const config = { ...SGD, ...optimizers[round % 3], round, seed: round, batchSize: 4 };
      params = (await trainer.fit(params, config)).params;
      await trainer.evaluate(params, { round, batchSize: 3 });
      if (round === 1) afterFirst = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(afterFirst);
    shared.dispose();
  });

  it('trains the CNN on wasm with the same result as on cpu', async () => {
    // McMahan's CNN on 12x12 images (the architecture is unchanged; smaller images keep the cpu run short).
    const dims = { inputShape: [12, 12, 1], numClasses: 10 };
    const data = randomDataset(4, [12, 12, 1], 10, 1);
    const initial = initialParameters('cnn', dims, 3);
    const config = { ...SGD, batchSize: 2, learningRate: 0.05 };
    const results: ParameterSet[] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      await initBackend(backend);
      const shared = SharedModel.create('cnn', { ...dims, seed: 3 });
      results.push((await new TfjsTrainer(shared, data).fit(initial, config)).params);
      shared.dispose();
    }
    await initBackend('wasm');
    const [wasm, cpu] = results as [ParameterSet, ParameterSet];
    for (const spec of initial.layout.specs) {
      const delta = (p: ParameterSet) => p.tensor(spec.name).map((v, i) => v - initial.tensor(spec.name)[i]!);
      const [dw, dc] = [delta(wasm), delta(cpu)];
      const scale = dc.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const diff = dw.reduce((m, v, i) => Math.max(m, Math.abs(v - dc[i]!)), 0);
      expect(scale, spec.name).toBeGreaterThan(0);
      expect(diff / scale, spec.name).toBeLessThan(1e-4);
    }
  });

  it('gives the same final parameters through trainCentral as through fit, with per-epoch test metrics', async () => {
    const dims = { inputShape: [4], numClasses: 3 };
    const shared = SharedModel.create('logreg', { ...dims, seed: 1 });
    const initial = initialParameters('logreg', dims, 1);
    const train = randomDataset(15, [4], 3, 1);
    const test = randomDataset(7, [4], 3, 2);
    const config = { ...SGD, localEpochs: 3, batchSize: 4, momentum: 0.9 };
    const central = await trainCentral(shared, train, test, initial, config);
    const fitted = await new TfjsTrainer(shared, train).fit(initial, config);
    expect(sameBits(central.params.data, fitted.params.data)).toBe(true);
    expect(central.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect(central.history[2]!.loss).toBe(fitted.metrics.loss);
    const evaluated = await new TfjsTrainer(shared, train, { test }).evaluate(fitted.params, {
      round: 1,
      batchSize: 256,
    });
    expect(central.history[2]!.test).toEqual(evaluated);
    shared.dispose();
  });

  it('reports each local epoch to onEpoch as it ends, with the number of epochs (progress displays)', async () => {
    const shared = SharedModel.create('logreg', { inputShape: [3], numClasses: 3, seed: 2 });
    const seen: string[] = [];
    const trainer = new TfjsTrainer(shared, randomDataset(10, [3], 3, 4), {
      onEpoch: (epoch, epochs) => seen.push(`${epoch.epoch}/${epochs}:${epoch.steps}`),
    });
    const out = await trainer.fit(shared.getParameters(), { ...SGD, localEpochs: 3, batchSize: 4 });
    expect(seen).toEqual(['1/3:3', '2/3:3', '3/3:3']);
    expect(out.localSteps).toBe(9);
    shared.dispose();
  });

  it('returns the input for a client without data', async () => {
    const shared = SharedModel.create('logreg', { inputShape: [2], numClasses: 2, seed: 1 });
    const empty = dataset([], [], [2], 2);
    const initial = shared.getParameters();
    const out = await new TfjsTrainer(shared, empty).fit(initial, SGD);
    expect(out).toMatchObject({ numExamples: 0, localSteps: 0, metrics: {} });
    expect(sameBits(out.params.data, initial.data)).toBe(true);
    const ev = await new TfjsTrainer(shared, empty).evaluate(initial, { round: 1, batchSize: 2 });
    expect(ev.numExamples).toBe(0);
    expect(ev.loss).toBeNaN();
    shared.dispose();
  });

  it('rejects bad configs, parameters and datasets with typed errors', async () => {
    const shared = SharedModel.create('logreg', { inputShape: [2], numClasses: 3, seed: 1 });
    const data = randomDataset(4, [2], 3, 1);
    const trainer = new TfjsTrainer(shared, data);
    const params = shared.getParameters();
    const bad: [Partial<FitConfig>, RegExp][] = [
      [{ localEpochs: 0.5 }, /localEpochs must be a positive integer, got 0.5/],
      [{ batchSize: 0 }, /batchSize/],
      [{ learningRate: -1 }, /learningRate/],
      [{ momentum: 1 }, /momentum/],
      [{ optimizer: 'rmsprop' as FitConfig['optimizer'] }, /optimizer/],
    ];
    for (const [overrides, message] of bad) {
      const error = await rejectionOf(trainer.fit(params, { ...SGD, ...overrides }));
      expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    const other = initialParameters('logreg', { inputShape: [3], numClasses: 3 }, 1);
    expect(isFlotillaError(await rejectionOf(trainer.fit(other, SGD)), 'SHAPE_MISMATCH')).toBe(true);
    const evaluated = trainer.evaluate(other, { round: 1, batchSize: 2 });
    expect(isFlotillaError(await rejectionOf(evaluated), 'SHAPE_MISMATCH')).toBe(true);
    const central = trainCentral(shared, data, data, params, { ...SGD, localEpochs: 1.5 });
    expect(isFlotillaError(await rejectionOf(central), 'CONFIG_INVALID')).toBe(true);
    const wrongWidth = thrownBy(() => new TfjsTrainer(shared, randomDataset(4, [3], 3, 1)));
    expect(isFlotillaError(wrongWidth, 'SHAPE_MISMATCH')).toBe(true);
    expect((wrongWidth as Error).message).toMatch(/3 features per example/);
    const wrongClasses = thrownBy(() => new TfjsTrainer(shared, randomDataset(4, [2], 2, 1)));
    expect(isFlotillaError(wrongClasses, 'SHAPE_MISMATCH')).toBe(true);
    shared.dispose();
  });
});

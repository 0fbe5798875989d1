/**
 * DP-SGD overhead (issue 5 target: under 5x): one client's local training time with per-example clipping and noise
 * versus plain minibatch SGD, same model, data, batch size and steps, on the wasm backend. Models: the tabular MLP
 * (stroke-sized rows, 20 features) and McMahan et al.'s 2NN (784-200-200-10). Also the clipped-gradient sum of one
 * batch by the batched dense method versus one backward pass per example, to show what the vectorization buys.
 * Data are random (timing does not depend on the values).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type Dataset, type FitConfig } from '../src/core/index.js';
import {
  SharedModel,
  TfjsTrainer,
  clippedGradientSum,
  initBackend,
  type DpNoiseFactory,
  type ModelName,
} from '../src/ml/index.js';
import { loopClippedSum } from '../src/ml/dp-sgd.js';
import { SeededNoise } from '../src/privacy/index.js';

export const name = 'dp-sgd';

function randomDataset(size: number, width: number, numClasses: number): Dataset {
  const rng = new Rng(1);
  return {
    name: 'random',
    features: Float32Array.from({ length: size * width }, () => rng.normal()),
    labels: Int32Array.from({ length: size }, () => rng.nextInt(numClasses)),
    featureShape: [width],
    numClasses,
    size,
  };
}

/** Median seconds of `repeats` timed calls after one warm-up call. */
async function time(repeats: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

const noise: DpNoiseFactory = (seed) => new SeededNoise(new Rng(seed));

async function measure(model: ModelName, width: number, numClasses: number, examples: number) {
  const shared = SharedModel.create(model, { inputShape: [width], numClasses, seed: 1 });
  const data = randomDataset(examples, width, numClasses);
  const trainer = new TfjsTrainer(shared, data, { dpNoise: noise });
  const params = shared.getParameters();
  const plain: FitConfig = {
    round: 1,
    seed: 3,
    localEpochs: 1,
    batchSize: 32,
    learningRate: 0.05,
    optimizer: 'sgd',
    momentum: 0,
  };
  const dp: FitConfig = { ...plain, exampleClipNorm: 1, exampleNoiseMultiplier: 1.1 };
  const plainSeconds = await time(5, () => trainer.fit(params, plain));
  const dpSeconds = await time(5, () => trainer.fit(params, dp));
  const dpShuffleSeconds = await time(5, () => trainer.fit(params, { ...dp, exampleSampling: 'shuffle' }));

  const xs = tf.tensor2d(data.features.subarray(0, 32 * width), [32, width]);
  const ys = tf.tensor1d(data.labels.subarray(0, 32), 'int32');
  const batch = (method: typeof clippedGradientSum) => () => {
    const sum = method(shared, xs, ys, 1);
    for (const t of Object.values(sum.grads)) t.dataSync();
    tf.dispose([...Object.values(sum.grads), sum.lossSum, sum.hits]);
  };
  const batchedMs = (await time(20, batch(clippedGradientSum))) * 1000;
  const perExampleMs = (await time(5, batch(loopClippedSum))) * 1000;
  tf.dispose([xs, ys]);
  shared.dispose();
  return {
    examples,
    batchSize: 32,
    parameters: params.size,
    plainSeconds,
    dpSgdPoissonSeconds: dpSeconds,
    dpSgdShuffleSeconds: dpShuffleSeconds,
    overhead: dpSeconds / plainSeconds,
    overheadShuffle: dpShuffleSeconds / plainSeconds,
    clippedSumBatchedMs: batchedMs,
    clippedSumPerExampleMs: perExampleMs,
    underTarget5x: dpSeconds / plainSeconds < 5,
  };
}

export async function run(): Promise<object> {
  const backend = await initBackend('wasm');
  return {
    backend,
    'tabular-mlp': await measure('tabular-mlp', 20, 2, 4000),
    '2nn': await measure('mlp', 784, 10, 2000),
  };
}

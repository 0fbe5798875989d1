/**
 * Local training speed of one zoo model, measured the same way in Node and in a browser page (this module is
 * isomorphic: the caller has already chosen and started the TF.js backend). One fit = one epoch over `examples`
 * random MNIST-shaped examples (28x28x1, 10 classes), batch 32, plain SGD; samples/s is examples over the median fit
 * time after one warm-up fit (which also compiles kernels and, on webgl, shaders).
 */
import { Rng, type Dataset, type FitConfig } from '../src/core/index.js';
import { SharedModel, TfjsTrainer, type ModelName } from '../src/ml/index.js';

export interface TrainingSpeed {
  readonly model: ModelName;
  readonly examples: number;
  readonly batchSize: number;
  readonly fits: number;
  readonly medianFitSeconds: number;
  readonly samplesPerSecond: number;
}

function mnistShaped(size: number): Dataset {
  const rng = new Rng(7);
  return {
    name: 'random-mnist-shaped',
    features: Float32Array.from({ length: size * 784 }, () => rng.next()),
    labels: Int32Array.from({ length: size }, () => rng.nextInt(10)),
    featureShape: [28, 28, 1],
    numClasses: 10,
    size,
  };
}

export async function trainingSpeed(model: ModelName, examples: number, fits = 3): Promise<TrainingSpeed> {
  const shared = SharedModel.create(model, { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const trainer = new TfjsTrainer(shared, mnistShaped(examples));
  const params = shared.getParameters();
  const config: FitConfig = {
    round: 1,
    seed: 3,
    localEpochs: 1,
    batchSize: 32,
    learningRate: 0.05,
    optimizer: 'sgd',
    momentum: 0,
  };
  await trainer.fit(params, config);
  const seconds: number[] = [];
  for (let i = 0; i < fits; i++) {
    const start = performance.now();
    await trainer.fit(params, config);
    seconds.push((performance.now() - start) / 1000);
  }
  shared.dispose();
  seconds.sort((a, b) => a - b);
  const median = seconds[seconds.length >> 1]!;
  return {
    model,
    examples,
    batchSize: 32,
    fits,
    medianFitSeconds: median,
    samplesPerSecond: examples / median,
  };
}

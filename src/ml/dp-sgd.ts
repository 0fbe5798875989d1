/**
 * DP-SGD (Abadi et al. 2016) inside local training: every step clips each example's gradient to L2 norm C, sums
 * them, adds N(0, (z C)^2) to every coordinate and divides by the expected batch size, then lets the optimizer take
 * the step. Batches are Poisson samples (each example independently with probability q = batchSize / n, n / batchSize
 * steps per epoch: the scheme the accountant analyses) or shuffled fixed-size batches.
 *
 * Per-example gradients. For models that are a stack of dense layers (logreg, the 2NN, tabular-mlp) they are never
 * materialized: with z_l = a_{l-1} W_l + b_l, example i's gradient for W_l is the outer product a_{l-1,i} g_{l,i}
 * (g = dLoss_i / dz_l), whose norm is |a_{l-1,i}| |g_{l,i}| (Goodfellow 2015, "Efficient per-example gradient
 * computations"). One forward and one backward pass of the whole batch give every a and g (the g as gradients with
 * respect to zero offsets added to each z), so the per-example norms, the clip factors c_i and the clipped sum
 * a_{l-1}^T diag(c) g_l are a few batched matrix products. Other models (the CNN) fall back to one backward pass
 * per example. ml imports only core, so the noise source is given by the caller (privacy's SeededNoise/SecureNoise).
 */
import * as tf from '@tensorflow/tfjs';
import { FlotillaError } from '../core/errors.js';
import type { Dataset } from '../core/dataset.js';
import { Rng } from '../core/rng.js';
import type { FitConfig } from '../core/trainer.js';
import { countCorrect, perExampleLoss } from './losses.js';
import { Batcher, createOptimizer, type EpochStats } from './loop.js';
import type { SharedModel } from './shared-model.js';

/** Gaussian noise added in place; privacy's SeededNoise and SecureNoise have this shape. */
export interface GaussianNoise {
  addGaussian(target: Float32Array, stddev: number): void;
}

/** The noise for one fit, from the fit's seed (a seeded source uses it; a secure one ignores it). */
export type DpNoiseFactory = (seed: number) => GaussianNoise;

interface DenseLayer {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly relu: boolean;
}

/** The model as dense layers (after an optional flatten), or undefined when it is anything else. */
export function denseStack(shared: SharedModel): DenseLayer[] | undefined {
  const stack: DenseLayer[] = [];
  for (const layer of shared.logits.layers) {
    const kind = layer.getClassName();
    if (kind === 'InputLayer' || (kind === 'Flatten' && stack.length === 0)) continue;
    const activation = layer.getConfig()['activation'];
    const weights = layer.trainableWeights;
    if (kind !== 'Dense' || weights.length !== 2 || (activation !== 'relu' && activation !== 'linear')) {
      return undefined;
    }
    stack.push({
      kernel: weights[0]!.read() as tf.Variable,
      bias: weights[1]!.read() as tf.Variable,
      relu: activation === 'relu',
    });
  }
  return stack;
}

interface ClippedSum {
  /** Sum over the batch of clipped per-example gradients, by variable name. */
  readonly grads: Record<string, tf.Tensor>;
  readonly lossSum: tf.Scalar;
  readonly hits: tf.Scalar;
}

/** Batched per-example clipping for dense stacks (see the module comment). Call inside tf.tidy. */
function denseClippedSum(
  shared: SharedModel,
  stack: readonly DenseLayer[],
  xs: tf.Tensor,
  ys: tf.Tensor1D,
  clipNorm: number,
): ClippedSum {
  const count = xs.shape[0]!;
  const inputs: tf.Tensor2D[] = [];
  let hits: tf.Scalar | undefined;
  const offsets = stack.map((layer) => tf.zeros([count, layer.bias.shape[0]!]));
  const { value, grads } = tf.valueAndGrads((...e: tf.Tensor[]) => {
    let a = xs.reshape([count, -1]) as tf.Tensor2D;
    stack.forEach((layer, l) => {
      // The layer inputs must outlive the gradient scope: kept here, disposed by the caller's tidy below.
      inputs.push(tf.keep(a));
      const z = a
        .matMul(layer.kernel as tf.Tensor2D)
        .add(layer.bias)
        .add(e[l]!) as tf.Tensor2D;
      a = layer.relu ? tf.relu(z) : z;
    });
    hits = tf.keep(countCorrect(shared.task, a, ys));
    return tf.sum(perExampleLoss(shared.task, a, ys, shared.numClasses)) as tf.Scalar;
  })(offsets);
  const squared = tf.addN(
    stack.map((_, l) => tf.sum(tf.square(grads[l]!), 1).mul(tf.sum(tf.square(inputs[l]!), 1).add(1))),
  );
  const factor = tf.minimum(1, tf.div(clipNorm, tf.sqrt(squared).maximum(1e-30))).expandDims(1);
  const out: Record<string, tf.Tensor> = {};
  stack.forEach((layer, l) => {
    const clipped = grads[l]!.mul(factor) as tf.Tensor2D;
    out[layer.kernel.name] = inputs[l]!.transpose().matMul(clipped);
    out[layer.bias.name] = tf.sum(clipped, 0);
  });
  tf.dispose(inputs);
  return { grads: out, lossSum: value, hits: hits! };
}

/** One backward pass per example, for models that are not dense stacks. Call inside tf.tidy. */
export function loopClippedSum(
  shared: SharedModel,
  xs: tf.Tensor,
  ys: tf.Tensor1D,
  clipNorm: number,
): ClippedSum {
  const variables = shared.trainableVariables;
  let sums = variables.map((v) => tf.zerosLike(v) as tf.Tensor);
  let lossSum: tf.Scalar = tf.scalar(0);
  let hits: tf.Scalar = tf.scalar(0);
  for (let i = 0; i < xs.shape[0]!; i++) {
    const next = tf.tidy(() => {
      const x = xs.slice(i, 1);
      const y = ys.slice(i, 1);
      let hit: tf.Scalar | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const logits = shared.logits.apply(x, { training: true }) as tf.Tensor;
        hit = tf.keep(countCorrect(shared.task, logits, y));
        return tf.sum(perExampleLoss(shared.task, logits, y, shared.numClasses)) as tf.Scalar;
      }, variables);
      const list = variables.map((v) => grads[v.name]!);
      const norm = tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g)))));
      const factor = tf.minimum(1, tf.div(clipNorm, norm.maximum(1e-30)));
      const result = {
        sums: sums.map((s, k) => s.add(list[k]!.mul(factor))),
        lossSum: lossSum.add(value) as tf.Scalar,
        hits: hits.add(hit!) as tf.Scalar,
      };
      tf.dispose(hit!);
      return result;
    });
    tf.dispose([...sums, lossSum, hits]);
    ({ sums, lossSum, hits } = next);
  }
  const out: Record<string, tf.Tensor> = {};
  variables.forEach((v, k) => (out[v.name] = sums[k]!));
  return { grads: out, lossSum, hits };
}

/** The sum of clipped per-example gradients of one batch, by the fastest method the model allows. */
export function clippedGradientSum(
  shared: SharedModel,
  xs: tf.Tensor,
  ys: tf.Tensor1D,
  clipNorm: number,
): ClippedSum {
  const stack = denseStack(shared);
  return stack ? denseClippedSum(shared, stack, xs, ys, clipNorm) : loopClippedSum(shared, xs, ys, clipNorm);
}

/** The examples of one Poisson batch: each row independently with probability q. */
function poissonBatch(rng: Rng, size: number, q: number, into: Uint32Array): number {
  let count = 0;
  for (let row = 0; row < size; row++) if (rng.next() < q) into[count++] = row;
  return count;
}

/**
 * Trains the shared model's current weights with DP-SGD for `config.localEpochs` epochs. Batches and noise are
 * reproducible from config.seed when `noiseFor` returns a seeded source. Returns the last epoch's statistics (loss
 * and accuracy measured on the examples of each batch before its step, like the plain loop).
 */
export function trainDpSgd(
  shared: SharedModel,
  data: Dataset,
  config: FitConfig,
  noiseFor: DpNoiseFactory,
  onEpoch?: (stats: EpochStats) => void,
): EpochStats {
  const clipNorm = config.exampleClipNorm;
  if (clipNorm === undefined || !(clipNorm > 0)) {
    throw new FlotillaError('CONFIG_INVALID', `DP-SGD needs exampleClipNorm > 0, got ${String(clipNorm)}`);
  }
  const stddev = (config.exampleNoiseMultiplier ?? 0) * clipNorm;
  const poisson = (config.exampleSampling ?? 'poisson') === 'poisson';
  const n = data.size;
  const q = Math.min(1, config.batchSize / n);
  // The fixed denominator: the expected Poisson batch size (the actual one would itself leak).
  const expectedBatch = q * n;
  const stepsPerEpoch = poisson
    ? Math.max(1, Math.round(n / config.batchSize))
    : Math.ceil(n / config.batchSize);
  const rng = new Rng(config.seed);
  const noise = noiseFor(config.seed);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const batcher = new Batcher(data, shared.inputShape, n);
  const variables = shared.trainableVariables;
  const { optimizer, dispose } = createOptimizer(config);
  let last: EpochStats = { epoch: 0, loss: NaN, accuracy: NaN, steps: 0 };
  try {
    for (let epoch = 1; epoch <= config.localEpochs; epoch++) {
      if (!poisson) rng.shuffleIndices(order);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const start = poisson ? 0 : step * config.batchSize;
        const count = poisson ? poissonBatch(rng, n, q, order) : Math.min(config.batchSize, n - start);
        const denominator = poisson ? expectedBatch : count;
        const [cost, hits] = tf.tidy(() => {
          const sum: ClippedSum =
            count > 0
              ? clippedGradientSum(shared, ...tensors(batcher, order, start, count), clipNorm)
              : {
                  grads: Object.fromEntries(variables.map((v) => [v.name, tf.zerosLike(v)])),
                  lossSum: tf.scalar(0),
                  hits: tf.scalar(0),
                };
          const noised: Record<string, tf.Tensor> = {};
          for (const variable of variables) {
            const values = sum.grads[variable.name]!.dataSync().slice() as Float32Array;
            noise.addGaussian(values, stddev);
            noised[variable.name] = tf.tensor(values, variable.shape).div(denominator);
          }
          optimizer.applyGradients(noised);
          return [tf.keep(sum.lossSum), tf.keep(sum.hits)];
        });
        lossSum += cost.dataSync()[0]!;
        correct += hits.dataSync()[0]!;
        seen += count;
        tf.dispose([cost, hits]);
      }
      last = {
        epoch,
        loss: lossSum / Math.max(1, seen),
        accuracy: correct / Math.max(1, seen),
        steps: stepsPerEpoch,
      };
      onEpoch?.(last);
    }
  } finally {
    dispose();
  }
  return last;
}

function tensors(
  batcher: Batcher,
  order: Uint32Array,
  start: number,
  count: number,
): [tf.Tensor, tf.Tensor1D] {
  const { xs, ys } = batcher.tensors(order, start, count);
  return [xs, ys];
}

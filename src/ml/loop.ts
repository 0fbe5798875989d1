/**
 * The custom training and evaluation loops, run on whatever weights the shared model currently holds (callers set
 * and read them). A hand-written loop instead of `model.fit`: shuffling comes from Flotilla's seeded Rng, every
 * step runs inside tf.tidy, nothing registers callbacks or history, so results are reproducible bit for bit and
 * the tensor count stays flat however many rounds run.
 */
import * as tf from '@tensorflow/tfjs';
import { featureSize, type Dataset } from '../core/dataset.js';
import { Rng } from '../core/rng.js';
import type { ParameterSet } from '../core/parameters.js';
import type { EvaluateOutput, FitConfig, MetricValues } from '../core/trainer.js';
import { countCorrect, perExampleLoss } from './losses.js';
import { accuracy, binaryMetrics, constantAccuracy, majorityClass, prevalence } from './metrics.js';
import type { SharedModel } from './shared-model.js';

export interface EpochStats {
  /** 1-based epoch number. */
  readonly epoch: number;
  /** Mean training loss over the epoch's examples (each minibatch's loss before its update). */
  readonly loss: number;
  /** Training accuracy over the epoch's examples, measured like the loss. */
  readonly accuracy: number;
  /** Optimizer steps in this epoch. */
  readonly steps: number;
}

/** Copies rows of a dataset, in a given order, into reusable minibatch buffers. */
export class Batcher {
  private readonly width: number;
  private readonly x: Float32Array;
  private readonly y: Int32Array;

  constructor(
    private readonly data: Dataset,
    private readonly inputShape: readonly number[],
    maxBatch: number,
  ) {
    this.width = featureSize(data.featureShape);
    this.x = new Float32Array(Math.min(maxBatch, data.size) * this.width);
    this.y = new Int32Array(Math.min(maxBatch, data.size));
  }

  /** Tensors for rows order[start .. start+count); to be created inside a tidy scope. */
  tensors(order: ArrayLike<number>, start: number, count: number): { xs: tf.Tensor; ys: tf.Tensor1D } {
    const { width, data } = this;
    for (let k = 0; k < count; k++) {
      const row = order[start + k]!;
      this.x.set(data.features.subarray(row * width, (row + 1) * width), k * width);
      this.y[k] = data.labels[row]!;
    }
    return {
      xs: tf.tensor(this.x.subarray(0, count * width), [count, ...this.inputShape], 'float32'),
      ys: tf.tensor1d(this.y.subarray(0, count), 'int32'),
    };
  }
}

/** A fresh optimizer for one fit, and how to free all of its tensors afterwards. */
export function createOptimizer(config: FitConfig): { optimizer: tf.Optimizer; dispose: () => void } {
  if (config.optimizer === 'adam') {
    const adam = tf.train.adam(config.learningRate);
    return { optimizer: adam, dispose: () => adam.dispose() };
  }
  if (config.momentum > 0) {
    // tfjs momentum is heavy-ball SGD: v = momentum * v + g; w -= lr * v.
    const momentum = tf.train.momentum(config.learningRate, config.momentum);
    return {
      optimizer: momentum,
      dispose: () => {
        momentum.dispose();
        // tfjs 4.22's MomentumOptimizer.dispose frees its slots and momentum scalar but not the learning-rate
        // scalar inherited from SGDOptimizer (no super.dispose()); without this every fit leaks one tensor.
        tf.SGDOptimizer.prototype.dispose.call(momentum);
      },
    };
  }
  const sgd = tf.train.sgd(config.learningRate);
  return { optimizer: sgd, dispose: () => sgd.dispose() };
}

/**
 * Terms added to every minibatch gradient of one fit, as constant tensors keyed by variable name:
 * FedProx's mu (w - anchor), the gradient of mu/2 ||w - anchor||^2, and SCAFFOLD's constant correction.
 */
export interface GradientTerms {
  readonly proximal?: { readonly mu: number; readonly anchor: ParameterSet };
  readonly correction?: ParameterSet;
}

/** The terms as tensors per trainable variable name (to dispose after the fit), or undefined when there are none. */
function termTensors(
  shared: SharedModel,
  terms: GradientTerms | undefined,
): { mu: number; anchor: Map<string, tf.Tensor>; correction: Map<string, tf.Tensor> } | undefined {
  const mu = terms?.proximal?.mu ?? 0;
  if (mu === 0 && !terms?.correction) return undefined;
  const anchor = new Map<string, tf.Tensor>();
  const correction = new Map<string, tf.Tensor>();
  const names = shared.trainableNames;
  shared.trainableVariables.forEach((variable, i) => {
    const name = names[i]!;
    const of = (set: ParameterSet) => tf.tensor(set.tensor(name).slice(), variable.shape, 'float32');
    if (mu !== 0) anchor.set(variable.name, of(terms!.proximal!.anchor));
    if (terms?.correction) correction.set(variable.name, of(terms.correction));
  });
  return { mu, anchor, correction };
}

/**
 * Trains the shared model's current weights for `config.localEpochs` epochs of minibatches of `config.batchSize`
 * (the last one smaller when the size does not divide), reshuffling every epoch from one `new Rng(config.seed)`
 * stream, with a fresh optimizer. `onEpoch` runs after each epoch, on the weights at that point.
 */
export function trainEpochs(
  shared: SharedModel,
  data: Dataset,
  config: FitConfig,
  onEpoch?: (stats: EpochStats) => void,
  terms?: GradientTerms,
): EpochStats {
  const rng = new Rng(config.seed);
  const order = Uint32Array.from({ length: data.size }, (_, i) => i);
  const batcher = new Batcher(data, shared.inputShape, config.batchSize);
  const variables = shared.trainableVariables;
  const { optimizer, dispose } = createOptimizer(config);
  const extra = termTensors(shared, terms);
  let last: EpochStats = { epoch: 0, loss: NaN, accuracy: NaN, steps: 0 };
  try {
    for (let epoch = 1; epoch <= config.localEpochs; epoch++) {
      rng.shuffleIndices(order);
      let lossSum = 0;
      let correct = 0;
      let steps = 0;
      for (let start = 0; start < data.size; start += config.batchSize) {
        const count = Math.min(config.batchSize, data.size - start);
        const [cost, hits] = tf.tidy(() => {
          const { xs, ys } = batcher.tensors(order, start, count);
          let hitsInBatch: tf.Scalar | undefined;
          const loss = (): tf.Scalar => {
            const logits = shared.logits.apply(xs, { training: true }) as tf.Tensor;
            // Kept past the gradient scope; disposed below once read.
            hitsInBatch = tf.keep(countCorrect(shared.task, logits, ys));
            return tf.mean(perExampleLoss(shared.task, logits, ys, shared.numClasses)) as tf.Scalar;
          };
          if (!extra) return [optimizer.minimize(loss, true, variables)!, hitsInBatch!];
          // The reported cost stays the data loss; the extra terms only change the step.
          const { value, grads } = tf.variableGrads(loss, variables);
          for (const variable of variables) {
            let grad = grads[variable.name]!;
            if (extra.mu !== 0) grad = grad.add(variable.sub(extra.anchor.get(variable.name)!).mul(extra.mu));
            const correction = extra.correction.get(variable.name);
            if (correction) grad = grad.add(correction);
            grads[variable.name] = grad;
          }
          optimizer.applyGradients(grads);
          return [value, hitsInBatch!];
        });
        lossSum += cost.dataSync()[0]! * count;
        correct += hits.dataSync()[0]!;
        tf.dispose([cost, hits]);
        steps++;
      }
      last = { epoch, loss: lossSum / data.size, accuracy: correct / data.size, steps };
      onEpoch?.(last);
    }
  } finally {
    dispose();
    if (extra) tf.dispose([...extra.anchor.values(), ...extra.correction.values()]);
  }
  return last;
}

/** Index of the largest value in each row (the first on ties). */
function argmaxRows(
  values: Float32Array,
  rows: number,
  cols: number,
  into: Int32Array,
  offset: number,
): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (values[r * cols + c]! > values[r * cols + best]!) best = c;
    into[offset + r] = best;
  }
}

export interface ScoredEvaluation {
  readonly output: EvaluateOutput;
  /** Binary models: each example's probability of class 1, in the data's order. */
  readonly scores?: Float32Array;
}

/**
 * Loss and metrics of the shared model's current weights on `data`, in minibatches of `batchSize`, plus the
 * majority-class baseline (`majorityAccuracy`: accuracy of always predicting `majority`, by default `data`'s most
 * frequent class) and, for binary models, `prevalence` (fraction of positives) and the scores.
 */
export function evaluateScored(
  shared: SharedModel,
  data: Dataset,
  batchSize: number,
  majority = majorityClass(data.labels, data.numClasses),
): ScoredEvaluation {
  if (data.size === 0) return { output: { loss: NaN, numExamples: 0, metrics: {} } };
  const order = Uint32Array.from({ length: data.size }, (_, i) => i);
  const batcher = new Batcher(data, shared.inputShape, batchSize);
  const binary = shared.task === 'binary';
  const scores = new Float32Array(binary ? data.size : 0);
  const predicted = new Int32Array(binary ? 0 : data.size);
  let lossSum = 0;
  for (let start = 0; start < data.size; start += batchSize) {
    const count = Math.min(batchSize, data.size - start);
    tf.tidy(() => {
      const { xs, ys } = batcher.tensors(order, start, count);
      const logits = shared.logits.apply(xs, { training: false }) as tf.Tensor;
      lossSum += tf.sum(perExampleLoss(shared.task, logits, ys, shared.numClasses)).dataSync()[0]!;
      if (binary) scores.set(tf.sigmoid(logits).dataSync(), start);
      else argmaxRows(logits.dataSync() as Float32Array, count, shared.numClasses, predicted, start);
    });
  }
  const metrics: MetricValues = binary
    ? { ...definedOnly(binaryMetrics(scores, data.labels)), prevalence: prevalence(data.labels) }
    : { accuracy: accuracy(predicted, data.labels) };
  metrics['majorityAccuracy'] = constantAccuracy(data.labels, majority);
  const output = { loss: lossSum / data.size, numExamples: data.size, metrics };
  return binary ? { output, scores } : { output };
}

/**
 * The metrics this data defines: a held-out split with one class has no AUC-ROC (no ranking to judge) and one
 * without positives no average precision. Such a metric is left out rather than sent as NaN, which the client
 * runtime reads as diverged training; the server averages each metric over the clients that report it. A diverged
 * model still shows, through its NaN loss.
 */
function definedOnly(metrics: object): MetricValues {
  return Object.fromEntries(
    Object.entries(metrics as Record<string, number>).filter(([, value]) => !Number.isNaN(value)),
  );
}

/** `evaluateScored` without the scores. */
export function evaluateCurrent(
  shared: SharedModel,
  data: Dataset,
  batchSize: number,
  majority?: number,
): EvaluateOutput {
  return evaluateScored(shared, data, batchSize, majority).output;
}

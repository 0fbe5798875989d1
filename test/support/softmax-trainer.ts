/**
 * A user's own Trainer with no ML library: multinomial logistic regression in plain TypeScript over a ParameterSet
 * (tensors `w` [features x classes] and `b` [classes]), trained by minibatch SGD. The library tests plug it into
 * `simulate` and `runClient` as a user would.
 */
import {
  ParameterSet,
  Rng,
  type Dataset,
  type EvaluateOutput,
  type FitConfig,
  type FitOutput,
  type Trainer,
} from '../../src/index.js';
import type { TrainerFactory } from '../../src/public/sim.js';

export function softmaxParameters(features: number, classes: number): ParameterSet {
  return ParameterSet.fromTensors([
    { name: 'w', shape: [features, classes], values: new Float32Array(features * classes) },
    { name: 'b', shape: [classes], values: new Float32Array(classes) },
  ]);
}

/** Class probabilities of row `i` under (w, b), written into `out`. */
function predict(params: ParameterSet, data: Dataset, i: number, out: Float64Array): void {
  const w = params.tensor('w');
  const b = params.tensor('b');
  const k = out.length;
  const d = data.features.length / data.size;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    let z = b[c]!;
    for (let j = 0; j < d; j++) z += data.features[i * d + j]! * w[j * k + c]!;
    out[c] = z;
    max = Math.max(max, z);
  }
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < k; c++) out[c]! /= sum;
}

export class SoftmaxTrainer implements Trainer {
  constructor(
    private readonly train: Dataset,
    private readonly test: Dataset = train,
  ) {}

  async fit(global: ParameterSet, config: FitConfig): Promise<FitOutput> {
    const params = global.clone();
    const w = params.tensor('w');
    const b = params.tensor('b');
    const { size, numClasses: k } = this.train;
    const d = this.train.features.length / size;
    const rng = new Rng(config.seed);
    const p = new Float64Array(k);
    let steps = 0;
    for (let epoch = 0; epoch < config.localEpochs; epoch++) {
      const order = Uint32Array.from({ length: size }, (_, i) => i);
      rng.shuffleIndices(order);
      for (let start = 0; start < size; start += config.batchSize) {
        const batch = order.slice(start, start + config.batchSize);
        const step = config.learningRate / batch.length;
        for (const i of batch) {
          predict(params, this.train, i, p);
          p[this.train.labels[i]!]! -= 1; // gradient of the cross-entropy wrt the logits
          for (let c = 0; c < k; c++) {
            b[c]! -= step * p[c]!;
            for (let j = 0; j < d; j++) w[j * k + c]! -= step * p[c]! * this.train.features[i * d + j]!;
          }
        }
        steps++;
      }
    }
    return { params, numExamples: size, localSteps: steps, metrics: {} };
  }

  async evaluate(params: ParameterSet): Promise<EvaluateOutput> {
    const p = new Float64Array(this.test.numClasses);
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < this.test.size; i++) {
      predict(params, this.test, i, p);
      const label = this.test.labels[i]!;
      loss -= Math.log(Math.max(p[label]!, 1e-12));
      if (p.indexOf(Math.max(...p)) === label) correct++;
    }
    return {
      loss: loss / this.test.size,
      numExamples: this.test.size,
      metrics: { accuracy: correct / this.test.size },
    };
  }
}

/** The module form of the trainer factory, which worker threads import for themselves (`trainer: URL`). */
export const createTrainer: TrainerFactory = ({ train, test }) => new SoftmaxTrainer(train, test);

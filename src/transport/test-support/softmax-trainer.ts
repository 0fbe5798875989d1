/**
 * Test support shared by transport and sim tests: a real Trainer in pure TypeScript (multinomial logistic regression
 * trained by minibatch SGD with momentum) over seeded synthetic data, so pools and the engine are exercised end to end
 * without TensorFlow.js. Faults model the misbehaving clients a federation must survive.
 */
import {
  FlotillaError,
  ParameterLayout,
  ParameterSet,
  Rng,
  type EvaluateConfig,
  type EvaluateOutput,
  type FitConfig,
  type FitExtras,
  type FitOutput,
  type Trainer,
  type TrainerFeature,
} from '../../core/index.js';

/**
 * 'throw': fit throws. 'slow': fit waits `slowMs` first (a straggler). 'non-finite': fit returns NaN weights.
 * 'crash-thread': fit throws outside any promise, which kills the thread it runs on (use only in worker threads).
 */
export type Fault = 'throw' | 'slow' | 'non-finite' | 'crash-thread';

export interface ClientData {
  /** Row-major features, `size` rows of `features` values. */
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
  readonly features: number;
  readonly classes: number;
}

export function softmaxLayout(features: number, classes: number): ParameterLayout {
  return new ParameterLayout([
    { name: 'w', shape: [features, classes] },
    { name: 'b', shape: [classes] },
  ]);
}

/** A random linear teacher: labels are the argmax of x·W* plus noise, so the task is learnable but not trivial. */
export function syntheticClientData(teacher: ParameterSet, rng: Rng, size: number): ClientData {
  const [features, classes] = teacher.layout.specs[0]!.shape as [number, number];
  const w = teacher.tensor('w');
  const x = new Float32Array(size * features);
  const y = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let j = 0; j < features; j++) x[i * features + j] = rng.normal();
    for (let k = 0; k < classes; k++) {
      let score = 0.3 * rng.normal();
      for (let j = 0; j < features; j++) score += x[i * features + j]! * w[j * classes + k]!;
      if (score > bestScore) [best, bestScore] = [k, score];
    }
    y[i] = best;
  }
  return { x, y, size, features, classes };
}

/** Class probabilities of row `i` into `out`; returns the row's cross-entropy loss. */
function forward(params: ParameterSet, data: ClientData, i: number, out: Float64Array): number {
  const { features, classes } = data;
  const w = params.tensor('w');
  const b = params.tensor('b');
  let max = -Infinity;
  for (let k = 0; k < classes; k++) {
    let z = b[k]!;
    for (let j = 0; j < features; j++) z += data.x[i * features + j]! * w[j * classes + k]!;
    out[k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k < classes; k++) {
    out[k] = Math.exp(out[k]! - max);
    sum += out[k]!;
  }
  for (let k = 0; k < classes; k++) out[k] = out[k]! / sum;
  return -Math.log(Math.max(out[data.y[i]!]!, 1e-12));
}

function argmax(values: Float64Array): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

export class SoftmaxTrainer implements Trainer {
  readonly features: readonly TrainerFeature[] = ['proximal-term', 'gradient-correction'];

  constructor(
    private readonly data: ClientData,
    private readonly fault?: Fault,
    private readonly slowMs = 0,
  ) {}

  async fit(global: ParameterSet, config: FitConfig, extras?: FitExtras): Promise<FitOutput> {
    if (this.fault === 'throw') throw new FlotillaError('CLIENT_FAILED', 'injected trainer failure');
    if (this.fault === 'crash-thread') {
      setTimeout(() => {
        throw new Error('injected thread crash');
      });
      return new Promise<never>(() => {});
    }
    if (this.fault === 'slow') await new Promise((resolve) => setTimeout(resolve, this.slowMs));
    const { data } = this;
    const params = global.clone();
    const velocity = new Float64Array(params.size);
    const grad = new Float64Array(params.size);
    const probs = new Float64Array(data.classes);
    const order = Uint32Array.from({ length: data.size }, (_, i) => i);
    const rng = new Rng(config.seed);
    const wSize = data.features * data.classes;
    let steps = 0;
    let lossSum = 0;
    let correct = 0;
    for (let epoch = 0; epoch < config.localEpochs; epoch++) {
      rng.shuffleIndices(order);
      lossSum = 0;
      correct = 0;
      for (let start = 0; start < data.size; start += config.batchSize) {
        const end = Math.min(data.size, start + config.batchSize);
        grad.fill(0);
        for (let r = start; r < end; r++) {
          const i = order[r]!;
          lossSum += forward(params, data, i, probs);
          if (argmax(probs) === data.y[i]) correct++;
          probs[data.y[i]!] = probs[data.y[i]!]! - 1;
          for (let j = 0; j < data.features; j++) {
            const xj = data.x[i * data.features + j]!;
            for (let k = 0; k < data.classes; k++) {
              const n = j * data.classes + k;
              grad[n] = grad[n]! + xj * probs[k]!;
            }
          }
          for (let k = 0; k < data.classes; k++) grad[wSize + k] = grad[wSize + k]! + probs[k]!;
        }
        const p = params.data;
        const scale = 1 / (end - start);
        // FedProx adds the gradient of mu/2 ||w - global||^2; SCAFFOLD adds its constant correction c - c_i.
        const mu = config.proximalMu ?? 0;
        const start0 = global.data;
        const correction = extras?.gradientCorrection?.data;
        for (let n = 0; n < p.length; n++) {
          const g = grad[n]! * scale + mu * (p[n]! - start0[n]!) + (correction?.[n] ?? 0);
          velocity[n] = config.momentum * velocity[n]! + g;
          p[n] = p[n]! - config.learningRate * velocity[n]!;
        }
        steps++;
      }
    }
    if (this.fault === 'non-finite') params.data[0] = Number.NaN;
    return {
      params,
      numExamples: data.size,
      localSteps: steps,
      metrics: { loss: lossSum / data.size, accuracy: correct / data.size },
    };
  }

  async evaluate(params: ParameterSet, _config: EvaluateConfig): Promise<EvaluateOutput> {
    const probs = new Float64Array(this.data.classes);
    let lossSum = 0;
    let correct = 0;
    for (let i = 0; i < this.data.size; i++) {
      lossSum += forward(params, this.data, i, probs);
      if (argmax(probs) === this.data.y[i]) correct++;
    }
    return {
      loss: lossSum / this.data.size,
      numExamples: this.data.size,
      metrics: { accuracy: correct / this.data.size },
    };
  }
}

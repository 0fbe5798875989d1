/**
 * A Flotilla trainer written by hand, with no ML library: multinomial logistic regression (one weight per pixel
 * and digit, plus a bias per digit) trained by minibatch gradient descent. Flotilla only needs two methods:
 *
 * - `fit(params, config)`: start from the global parameters the server sent, train on this client's data, and
 *   return the new parameters with the number of examples used (the server weighs clients by it);
 * - `evaluate(params, config)`: the loss and metrics of the given parameters on this client's held-out data.
 *
 * Parameters travel as a ParameterSet: named Float32Array tensors with shapes. Replace the model below with any
 * computation that reads and writes those tensors (a different model, another library, a call into native code).
 */
import { ParameterSet } from 'flotilla';

export const FEATURES = 28 * 28;
export const CLASSES = 10;

/**
 * The model every client starts from: all zeros, a fine start for logistic regression.
 * @returns {import('flotilla').ParameterSet}
 */
export function initialParameters() {
  return ParameterSet.fromTensors([
    { name: 'weights', shape: [FEATURES, CLASSES], values: new Float32Array(FEATURES * CLASSES) },
    { name: 'bias', shape: [CLASSES], values: new Float32Array(CLASSES) },
  ]);
}

/** Class probabilities of example `i` of `data` into `out` (softmax of the scores); returns out. */
function predict(weights, bias, data, i, out) {
  const x = data.features.subarray(i * FEATURES, (i + 1) * FEATURES);
  out.set(bias);
  for (let f = 0; f < FEATURES; f++) {
    const v = x[f];
    if (v === 0) continue; // most pixels are blank
    for (let c = 0; c < CLASSES; c++) out[c] += v * weights[f * CLASSES + c];
  }
  const max = Math.max(...out);
  let sum = 0;
  for (let c = 0; c < CLASSES; c++) sum += out[c] = Math.exp(out[c] - max);
  for (let c = 0; c < CLASSES; c++) out[c] /= sum;
  return out;
}

/** A small seeded generator (mulberry32), so each round's shuffling is reproducible from the seed it is given. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(size, seed) {
  const next = random(seed);
  const order = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Called by Flotilla once per client with that client's data (`train`, and `test` when it holds some out), and once
 * for the server (id `server`), which tests the global model on the digits no client trained on.
 * @param {import('flotilla/sim').TrainerFactoryInput} client
 * @returns {import('flotilla').Trainer}
 */
export function createTrainer({ id, train, test }) {
  const features = train.featureShape.reduce((a, b) => a * b, 1);
  if (features !== FEATURES || train.numClasses !== CLASSES) {
    throw new Error(
      `client ${id}: trainer.js expects ${FEATURES} features and ${CLASSES} classes, ` +
        `the data has ${features} and ${train.numClasses}; change FEATURES and CLASSES`,
    );
  }
  const probabilities = new Float32Array(CLASSES);
  return {
    async fit(params, config) {
      const next = params.clone();
      const weights = next.tensor('weights');
      const bias = next.tensor('bias');
      const gradW = new Float32Array(weights.length);
      const gradB = new Float32Array(bias.length);
      let steps = 0;
      let lossSum = 0;
      for (let epoch = 0; epoch < config.localEpochs; epoch++) {
        const order = shuffled(train.size, config.seed + epoch);
        for (let start = 0; start < order.length; start += config.batchSize) {
          const batch = order.slice(start, start + config.batchSize);
          gradW.fill(0);
          gradB.fill(0);
          for (const i of batch) {
            predict(weights, bias, train, i, probabilities);
            const label = train.labels[i];
            lossSum -= Math.log(Math.max(probabilities[label], 1e-12));
            probabilities[label] -= 1; // the gradient of the cross-entropy with respect to the scores
            const x = train.features.subarray(i * FEATURES, (i + 1) * FEATURES);
            for (let f = 0; f < FEATURES; f++) {
              if (x[f] === 0) continue;
              for (let c = 0; c < CLASSES; c++) gradW[f * CLASSES + c] += x[f] * probabilities[c];
            }
            for (let c = 0; c < CLASSES; c++) gradB[c] += probabilities[c];
          }
          const step = config.learningRate / batch.length;
          for (let k = 0; k < weights.length; k++) weights[k] -= step * gradW[k];
          for (let c = 0; c < CLASSES; c++) bias[c] -= step * gradB[c];
          steps += 1;
        }
      }
      const seen = train.size * config.localEpochs;
      return { params: next, numExamples: train.size, localSteps: steps, metrics: { loss: lossSum / seen } };
    },

    async evaluate(params) {
      const data = test ?? train;
      const weights = params.tensor('weights');
      const bias = params.tensor('bias');
      let loss = 0;
      let correct = 0;
      for (let i = 0; i < data.size; i++) {
        predict(weights, bias, data, i, probabilities);
        const label = data.labels[i];
        loss -= Math.log(Math.max(probabilities[label], 1e-12));
        if (probabilities.indexOf(Math.max(...probabilities)) === label) correct += 1;
      }
      return { loss: loss / data.size, numExamples: data.size, metrics: { accuracy: correct / data.size } };
    },
  };
}

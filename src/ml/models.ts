/**
 * The model zoo and the conversion between tfjs models and ParameterSets.
 *
 * Every zoo model ends in a separate, weightless Activation layer (softmax, or sigmoid for the binary
 * `tabular-mlp`). Training takes the output of the layer before it as logits, so losses are computed in the
 * numerically stable log-sum-exp / softplus form, while `model.predict` still returns probabilities.
 *
 * Initial weights are drawn with Flotilla's own seeded Rng (Glorot uniform kernels, zero biases), not tfjs's
 * initializers: the same seed gives bit-identical weights on every backend, thread and tfjs version, and each
 * tensor's stream is keyed by its stable name so adding a layer does not change the others.
 */
import * as tf from '@tensorflow/tfjs';
import { FlotillaError } from '../core/errors.js';
import { ParameterLayout, ParameterSet } from '../core/parameters.js';
import { Rng } from '../core/rng.js';

/**
 * The built-in models: logistic regression, the MLP and CNN of McMahan et al. 2017, and a tabular MLP.
 * @example
 * ```ts
 * const name: ModelName = 'cnn';
 * ```
 */
export type ModelName = 'logreg' | 'mlp' | 'cnn' | 'tabular-mlp';

/**
 * Every built-in model name.
 * @example
 * ```ts
 * console.log(MODEL_NAMES.join(', ')); // logreg, mlp, cnn, tabular-mlp
 * ```
 */
export const MODEL_NAMES: readonly ModelName[] = ['logreg', 'mlp', 'cnn', 'tabular-mlp'];

/**
 * The dimensions a built-in model is built for.
 * @example
 * ```ts
 * const dims: ModelDims = { inputShape: [28, 28, 1], numClasses: 10 };
 * ```
 */
export interface ModelDims {
  /** Shape of one example, without the batch dimension, e.g. [28, 28, 1] or [784] or [d]. */
  readonly inputShape: readonly number[];
  /** Number of classes; `tabular-mlp` requires 2 (labels 0/1, one sigmoid output unit). */
  readonly numClasses: number;
  /** Hidden layer widths for `mlp` (default [200, 200]) and `tabular-mlp` (default [32, 16]). */
  readonly hidden?: readonly number[];
}

/**
 * The dimensions and the seed of the initial weights of a built-in model.
 * @example
 * ```ts
 * const model = createModel('mlp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 } satisfies ModelOptions);
 * ```
 */
export interface ModelOptions extends ModelDims {
  /** Seed of the initial weights. */
  readonly seed: number;
}

const DEFAULT_HIDDEN: Partial<Record<ModelName, readonly number[]>> = {
  mlp: [200, 200],
  'tabular-mlp': [32, 16],
};

function assertPositiveIntegers(values: readonly number[], what: string): void {
  if (!values.every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${what} must be positive integers, got [${values.join(', ')}]`,
    );
  }
}

function validate(name: ModelName, options: ModelOptions): void {
  if (!MODEL_NAMES.includes(name)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `unknown model "${String(name)}", expected one of ${MODEL_NAMES.join(', ')}`,
    );
  }
  if (options.inputShape.length === 0) {
    throw new FlotillaError('INVALID_ARGUMENT', `model "${name}" needs a non-empty inputShape`);
  }
  assertPositiveIntegers(options.inputShape, `inputShape of model "${name}"`);
  if (!Number.isSafeInteger(options.numClasses) || options.numClasses < 2) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `model "${name}" needs numClasses >= 2, got ${options.numClasses}`,
    );
  }
  if (!Number.isFinite(options.seed)) {
    throw new FlotillaError('INVALID_ARGUMENT', `model seed must be a finite number, got ${options.seed}`);
  }
  if (options.hidden !== undefined) {
    if (DEFAULT_HIDDEN[name] === undefined) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `model "${name}" has a fixed architecture and takes no hidden`,
      );
    }
    assertPositiveIntegers(options.hidden, `hidden widths of model "${name}"`);
  }
  if (name === 'cnn' && options.inputShape.length !== 3) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `model "cnn" needs an image inputShape [height, width, channels], got [${options.inputShape.join(', ')}]`,
    );
  }
  if (name === 'tabular-mlp' && options.numClasses !== 2) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `model "tabular-mlp" is a binary classifier and needs numClasses 2, got ${options.numClasses}`,
    );
  }
}

function dense(units: number, activation?: 'relu'): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: 'zeros', biasInitializer: 'zeros' });
}

/** The hidden part of each architecture, applied to the input; the caller adds the output layer. */
function body(name: ModelName, input: tf.SymbolicTensor, hidden: readonly number[]): tf.SymbolicTensor {
  let h = input;
  const apply = (layer: tf.layers.Layer) => (h = layer.apply(h) as tf.SymbolicTensor);
  if (name === 'cnn') {
    // McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized Data", the CNN.
    for (const filters of [32, 64]) {
      apply(
        tf.layers.conv2d({
          filters,
          kernelSize: 5,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: 'zeros',
          biasInitializer: 'zeros',
        }),
      );
      apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
    }
    apply(tf.layers.flatten());
    apply(dense(512, 'relu'));
    return h;
  }
  if (input.shape.length > 2) apply(tf.layers.flatten());
  for (const units of hidden) apply(dense(units, 'relu'));
  return h;
}

/**
 * Builds a zoo model with seeded initial weights. logreg: flatten + dense softmax. mlp: McMahan et al.'s 2NN
 * (784-200-200-10 ReLU for MNIST). cnn: McMahan et al.'s CNN. tabular-mlp: ReLU MLP with one sigmoid output unit.
 * A tfjs backend must be initialized first (`await initBackend()`).
 * @example
 * ```ts
 * await initBackend();
 * const model = createModel('cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 * ```
 */
export function createModel(name: ModelName, options: ModelOptions): tf.LayersModel {
  validate(name, options);
  const input = tf.input({ shape: [...options.inputShape] });
  const features = body(name, input, options.hidden ?? DEFAULT_HIDDEN[name] ?? []);
  const binary = name === 'tabular-mlp';
  const logits = dense(binary ? 1 : options.numClasses).apply(features) as tf.SymbolicTensor;
  const output = tf.layers
    .activation({ activation: binary ? 'sigmoid' : 'softmax' })
    .apply(logits) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output });
  setModelParameters(model, glorotParameters(modelLayout(model), options.seed));
  return model;
}

/**
 * Glorot (Xavier) uniform kernels as in Keras: limit sqrt(6 / (fanIn + fanOut)), where a kernel of shape
 * [...receptive, in, out] has fanIn = in * receptive and fanOut = out * receptive. Biases (rank 1) are zero.
 */
function glorotParameters(layout: ParameterLayout, seed: number): ParameterSet {
  const params = new ParameterSet(layout);
  const root = new Rng(seed);
  for (const spec of layout.specs) {
    if (spec.shape.length < 2) continue;
    const receptive = spec.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const fanIn = spec.shape[spec.shape.length - 2]! * receptive;
    const fanOut = spec.shape[spec.shape.length - 1]! * receptive;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const rng = root.split(spec.name);
    const values = params.tensor(spec.name);
    for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * limit;
  }
  return params;
}

export interface NamedWeight {
  readonly name: string;
  readonly shape: number[];
  readonly variable: tf.LayerVariable;
}

/** A model's weights in order, each with its stable name (see `modelLayout`). */
export function namedWeights(model: tf.LayersModel): NamedWeight[] {
  const perType = new Map<string, number>();
  const named: NamedWeight[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const type = layer.getClassName().toLowerCase();
    const index = perType.get(type) ?? 0;
    perType.set(type, index + 1);
    for (const variable of layer.weights) {
      // originalName is "<tfjs layer name>/<weight name>"; keep only the weight name ("kernel", "bias").
      const weight = variable.originalName.slice(variable.originalName.lastIndexOf('/') + 1);
      // Weight shapes are always fully known (only activations have a null batch dimension).
      named.push({ name: `${type}_${index}/${weight}`, shape: variable.shape as number[], variable });
    }
  }
  return named;
}

/**
 * The ParameterLayout of a model. Names are `<layer type>_<index among layers of that type>/<weight>`, e.g.
 * `conv2d_1/kernel` or `dense_0/bias`: they depend only on the architecture, never on tfjs's global layer-name
 * counter, so every model of one architecture in any process or thread has the same layout.
 */
export function modelLayout(model: tf.LayersModel): ParameterLayout {
  return new ParameterLayout(namedWeights(model));
}

/**
 * Copies a model's current weights into a new ParameterSet.
 * @example
 * ```ts
 * const initial = modelToParameters(myModel); // e.g. startServer({ initialParameters: initial })
 * ```
 */
export function modelToParameters(model: tf.LayersModel): ParameterSet {
  const weights = namedWeights(model);
  const params = new ParameterSet(new ParameterLayout(weights));
  for (const { name, variable } of weights) params.tensor(name).set(variable.read().dataSync());
  return params;
}

/**
 * Overwrites a model's weights; throws SHAPE_MISMATCH unless `params` has exactly the model's layout.
 * @example
 * ```ts
 * setModelParameters(myModel, (await server.finished).params); // the federated model, ready to predict
 * ```
 */
export function setModelParameters(model: tf.LayersModel, params: ParameterSet): void {
  const weights = namedWeights(model);
  new ParameterLayout(weights).assertEquals(params.layout, 'model weights and given parameters');
  tf.tidy(() => {
    for (const { name, shape, variable } of weights) {
      // slice(): the cpu backend keeps the array it is given, which must not alias the caller's buffer.
      variable.write(tf.tensor(params.tensor(name).slice(), shape, 'float32'));
    }
  });
}

/**
 * The initial parameters of a zoo model for `seed`, without keeping the model.
 * @example
 * ```ts
 * const params = initialParameters('mlp', { inputShape: [784], numClasses: 10 }, 42);
 * ```
 */
export function initialParameters(name: ModelName, dims: ModelDims, seed: number): ParameterSet {
  const model = createModel(name, { ...dims, seed });
  try {
    return modelToParameters(model);
  } finally {
    model.dispose();
  }
}

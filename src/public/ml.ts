/**
 * `flotilla/ml`: the TF.js side. The model zoo, Flotilla's trainer (losses, DP-SGD, metrics) and the wrapper that
 * lets it train the user's own `tf.LayersModel`.
 *
 * @module flotilla/ml
 */
import type * as tf from '@tensorflow/tfjs';
import { FlotillaError, type Dataset } from '../core/index.js';
import { SharedModel, TfjsTrainer } from '../ml/index.js';
import { dpNoiseFactory } from '../sim/dp-noise.js';

export {
  MODEL_NAMES,
  SharedModel,
  TfjsTrainer,
  createModel,
  initBackend,
  initialParameters,
  modelToParameters,
  setModelParameters,
  type BackendName,
  type ModelDims,
  type ModelName,
  type ModelOptions,
  type TfjsTrainerOptions,
} from '../ml/index.js';
export type { ModelFactory, ModelFactoryInput } from '../sim/custom-clients.js';

/**
 * What {@link createTfjsTrainer} wraps.
 * @example
 * ```ts
 * const trainer = createTfjsTrainer({ model: myModel, train, test } satisfies TfjsTrainerInput);
 * ```
 */
export interface TfjsTrainerInput {
  /**
   * The model: the user's `tf.LayersModel` (its last layer a `tf.layers.activation`, softmax or sigmoid over one
   * unit) or a {@link SharedModel} several trainers share.
   */
  readonly model: tf.LayersModel | SharedModel;
  /** The client's training data. */
  readonly train: Dataset;
  /** Held-out data that `evaluate` uses; default the training data. */
  readonly test?: Dataset;
}

/**
 * Flotilla's trainer around the user's TF.js model: cross-entropy losses, FedProx and SCAFFOLD terms, DP-SGD (noise
 * from the platform's secure random source) and accuracy/AUC metrics. Pass the result to `runClient`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createTfjsTrainer } from 'flotilla/ml';
 * import { loadMnist } from 'flotilla/data';
 *
 * const model = tf.sequential({
 *   layers: [
 *     tf.layers.flatten({ inputShape: [28, 28, 1] }),
 *     tf.layers.dense({ units: 10 }),
 *     tf.layers.activation({ activation: 'softmax' }),
 *   ],
 * });
 * const { train, test } = loadMnist({ seed: 1 });
 * const trainer = createTfjsTrainer({ model, train, test });
 * ```
 */
export function createTfjsTrainer(input: TfjsTrainerInput): TfjsTrainer {
  let shared: SharedModel;
  try {
    shared = input.model instanceof SharedModel ? input.model : new SharedModel(input.model);
  } catch (error) {
    throw new FlotillaError('MODEL_INVALID', `the given model: ${(error as Error).message}`);
  }
  return new TfjsTrainer(shared, input.train, {
    ...(input.test ? { test: input.test } : {}),
    dpNoise: dpNoiseFactory('secure'),
  });
}

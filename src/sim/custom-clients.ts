/**
 * A simulation whose clients run the user's own code (library use): a TF.js model factory that Flotilla's trainer
 * wraps (its losses, DP-SGD and metrics), or a factory of whole Trainers. Each is a function, which lives in the
 * thread that passed it (functions do not cross into worker threads), or the URL of a module exporting
 * `createModel` / `createTrainer`, which every worker imports for itself.
 */
import type * as tf from '@tensorflow/tfjs';
import { FlotillaError, Rng, type Dataset, type Trainer } from '../core/index.js';
import { SharedModel } from '../ml/index.js';

/**
 * What a model factory is told: the shape of one example, the number of classes, the seed of the initial weights.
 * @example
 * ```ts
 * const model = ({ inputShape, numClasses, seed }: ModelFactoryInput) =>
 *   tf.sequential({
 *     layers: [
 *       tf.layers.flatten({ inputShape: [...inputShape] }),
 *       tf.layers.dense({ units: numClasses, kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
 *       tf.layers.activation({ activation: 'softmax' }),
 *     ],
 *   });
 * ```
 */
export interface ModelFactoryInput {
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  readonly seed: number;
}

/**
 * Builds the user's TF.js model. Its last layer must be a weightless `tf.layers.activation` (softmax over >= 2
 * classes, or sigmoid over 1 unit for a binary task): Flotilla computes its losses from the layer before it.
 * @example
 * ```ts
 * const model: ModelFactory = ({ inputShape, numClasses }) =>
 *   tf.sequential({
 *     layers: [
 *       tf.layers.flatten({ inputShape: [...inputShape] }),
 *       tf.layers.dense({ units: numClasses }),
 *       tf.layers.activation({ activation: 'softmax' }),
 *     ],
 *   });
 * await simulate({ model });
 * ```
 */
export type ModelFactory = (dims: ModelFactoryInput) => tf.LayersModel | Promise<tf.LayersModel>;

/**
 * What a trainer factory is told about the client it trains for.
 * @example
 * ```ts
 * const trainer = ({ id, train, test, seed }: TrainerFactoryInput) => new MyTrainer(train, test, seed);
 * ```
 */
export interface TrainerFactoryInput {
  readonly id: string;
  readonly train: Dataset;
  /** The client's held-out examples, when the run keeps some (`testFraction`). */
  readonly test?: Dataset;
  /** A seed for this client, derived from the run's seed. */
  readonly seed: number;
}

/**
 * Builds the Trainer of one client (or of the server's own evaluation, id `server`).
 * @example
 * ```ts
 * const trainer: TrainerFactory = ({ train, test }) => new MyTrainer(train, test);
 * await simulate({ trainer, initialParameters: myInitialParameters });
 * ```
 */
export type TrainerFactory = (client: TrainerFactoryInput) => Trainer | Promise<Trainer>;

/** The user's code for a simulation's clients: functions (this thread) or module URLs (any thread). */
export interface CustomClients {
  readonly model?: ModelFactory | string;
  readonly trainer?: TrainerFactory | string;
}

/** Refuses functions when clients run in worker threads, naming the option and both ways out. */
export function refuseFunctionsAcrossWorkers(custom: CustomClients | undefined, workers: number): void {
  if (workers <= 1 || !custom) return;
  for (const [key, exported] of [
    ['model', 'createModel'],
    ['trainer', 'createTrainer'],
  ] as const) {
    if (typeof custom[key] === 'function') {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `"${key}" is a function, which cannot reach worker threads ("workers" is ${workers}): set workers to 1, or pass "${key}" as the path of a module exporting ${exported}`,
        { key: 'workers' },
      );
    }
  }
}

async function exportedFunction<T>(source: T | string, name: string): Promise<T> {
  if (typeof source !== 'string') return source;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(source)) as Record<string, unknown>;
  } catch (error) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `cannot import ${source}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const fn = mod[name] ?? (mod['default'] as Record<string, unknown> | undefined)?.[name];
  if (typeof fn !== 'function') {
    throw new FlotillaError('CONFIG_INVALID', `module ${source} does not export a function ${name}`);
  }
  return fn as T;
}

/** The model factory, imported from its module when given as a URL. */
export const loadModelFactory = (source: ModelFactory | string) =>
  exportedFunction<ModelFactory>(source, 'createModel');

/** The trainer factory, imported from its module when given as a URL. */
export const loadTrainerFactory = (source: TrainerFactory | string) =>
  exportedFunction<TrainerFactory>(source, 'createTrainer');

/** Builds the user's model and wraps it for Flotilla's trainer; a model it cannot train is refused by name. */
export async function userSharedModel(
  source: ModelFactory | string,
  dims: ModelFactoryInput,
): Promise<SharedModel> {
  const factory = await loadModelFactory(source);
  const model = await factory(dims);
  if (!model || typeof (model as Partial<tf.LayersModel>).getWeights !== 'function') {
    throw new FlotillaError('MODEL_INVALID', 'the "model" factory did not return a tf.LayersModel');
  }
  try {
    return new SharedModel(model);
  } catch (error) {
    throw new FlotillaError('MODEL_INVALID', `the "model" factory's model: ${(error as Error).message}`);
  }
}

/** Calls the trainer factory for one client and checks that what it returns is a Trainer. */
export async function buildTrainer(factory: TrainerFactory, client: TrainerFactoryInput): Promise<Trainer> {
  const trainer = await factory(client);
  if (typeof trainer?.fit !== 'function' || typeof trainer.evaluate !== 'function') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `the "trainer" factory returned no Trainer (with fit and evaluate) for ${client.id}`,
    );
  }
  return trainer;
}

/** The seed a client's trainer factory is given: the run's seed split by the client's id. */
export const clientSeed = (runSeed: number, id: string): number => new Rng(runSeed).split('client', id).seed;

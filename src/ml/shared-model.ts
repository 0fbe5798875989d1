/**
 * One tfjs model instance shared by many trainers. A simulation with thousands of virtual clients cannot hold
 * thousands of models; instead every client's trainer borrows this one, sets the weights from the ParameterSet it
 * was given, trains and reads them back. `exclusive` serializes those borrowings, so concurrent `fit` calls on
 * trainers sharing a model never interleave their steps.
 */
import * as tf from '@tensorflow/tfjs';
import { FlotillaError } from '../core/errors.js';
import type { ParameterLayout, ParameterSet } from '../core/parameters.js';
import { createModel, modelLayout, modelToParameters, namedWeights, setModelParameters } from './models.js';
import type { ModelName, ModelOptions } from './models.js';

/** 'multiclass': softmax over numClasses outputs; 'binary': one sigmoid output, labels 0/1. */
export type TaskKind = 'multiclass' | 'binary';

/**
 * One TF.js model shared by many trainers: each sets the weights it is given, trains and reads them back, one at a
 * time, so thousands of simulated clients cost their data, not thousands of models.
 * @example
 * ```ts
 * const shared = new SharedModel(myModel); // its last layer: tf.layers.activation
 * const trainers = clients.map((c) => new TfjsTrainer(shared, c.train, { test: c.test }));
 * ```
 */
export class SharedModel {
  /** The full model; its output is probabilities. */
  readonly model: tf.LayersModel;
  /** The same layers up to (excluding) the final activation: what losses are computed from. */
  readonly logits: tf.LayersModel;
  readonly layout: ParameterLayout;
  readonly task: TaskKind;
  /** Number of classes: the softmax width, or 2 for a binary model. */
  readonly numClasses: number;
  /** Shape of one example (no batch dimension). */
  readonly inputShape: readonly number[];
  private tail: Promise<unknown> = Promise.resolve();

  /**
   * Wraps a model whose last layer is a weightless Activation layer: softmax (multiclass) or sigmoid with one
   * unit (binary), as every zoo model is.
   */
  constructor(model: tf.LayersModel) {
    const last = model.layers[model.layers.length - 1];
    const activation = last?.getConfig().activation;
    if (!last || last.getClassName() !== 'Activation' || model.inputs.length !== 1) {
      throw new FlotillaError(
        'MODEL_INVALID',
        'a shared model needs one input and a final Activation layer (softmax or sigmoid)',
      );
    }
    const logits = last.input as tf.SymbolicTensor;
    const units = logits.shape[logits.shape.length - 1] ?? 0;
    if (activation === 'softmax' && units >= 2) {
      this.task = 'multiclass';
      this.numClasses = units;
    } else if (activation === 'sigmoid' && units === 1) {
      this.task = 'binary';
      this.numClasses = 2;
    } else {
      throw new FlotillaError(
        'MODEL_INVALID',
        `unsupported output: ${String(activation)} over ${units} units (need softmax over >= 2 or sigmoid over 1)`,
      );
    }
    this.model = model;
    // Shares the layers (and so the weights) of `model`; it must never be disposed on its own.
    this.logits = tf.model({ inputs: model.inputs, outputs: logits });
    this.layout = modelLayout(model);
    this.inputShape = model.inputs[0]!.shape.slice(1) as number[];
  }

  /** A shared zoo model. */
  static create(name: ModelName, options: ModelOptions): SharedModel {
    return new SharedModel(createModel(name, options));
  }

  /** The trainable variables, in the order the optimizer sees them. */
  get trainableVariables(): tf.Variable[] {
    return this.logits.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** The ParameterSet tensor name of each trainable variable, in `trainableVariables` order. */
  get trainableNames(): string[] {
    const names = new Map(namedWeights(this.model).map((w) => [w.variable.read(), w.name]));
    return this.trainableVariables.map((v) => names.get(v)!);
  }

  /**
   * Writes `params` into the model's weights (same layout required).
   */
  setParameters(params: ParameterSet): void {
    setModelParameters(this.model, params);
  }

  /**
   * The model's current weights as a new ParameterSet.
   */
  getParameters(): ParameterSet {
    return modelToParameters(this.model);
  }

  /** Runs `task` once every task queued before it has finished (successfully or not). */
  exclusive<T>(task: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Frees the model's tensors.
   */
  dispose(): void {
    this.model.dispose();
  }
}

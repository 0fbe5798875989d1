/**
 * Class probabilities of a model on a dataset, for the final model's diagnostics (diagnostics.ts). Row-major, one
 * column per class; a binary model's single sigmoid output becomes the two columns (1 - p, p).
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../core/dataset.js';
import type { ParameterSet } from '../core/parameters.js';
import { modelDiagnostics, type ModelDiagnostics } from './diagnostics.js';
import { Batcher } from './loop.js';
import type { SharedModel } from './shared-model.js';

export async function predictProbabilities(
  shared: SharedModel,
  params: ParameterSet,
  data: Dataset,
  batchSize = 256,
): Promise<Float32Array> {
  shared.layout.assertEquals(params.layout, 'model and prediction parameters');
  const k = shared.numClasses;
  const out = new Float32Array(data.size * k);
  if (data.size === 0) return out;
  return shared.exclusive(() => {
    shared.setParameters(params);
    const order = Uint32Array.from({ length: data.size }, (_, i) => i);
    const batcher = new Batcher(data, shared.inputShape, batchSize);
    for (let start = 0; start < data.size; start += batchSize) {
      const count = Math.min(batchSize, data.size - start);
      tf.tidy(() => {
        const { xs } = batcher.tensors(order, start, count);
        const p = (shared.model.apply(xs, { training: false }) as tf.Tensor).dataSync();
        if (shared.task === 'binary') {
          for (let i = 0; i < count; i++) {
            out[(start + i) * 2] = 1 - p[i]!;
            out[(start + i) * 2 + 1] = p[i]!;
          }
        } else out.set(p, start * k);
      });
    }
    return out;
  });
}

/** The diagnostics of `params` on `data` (its labels against the model's probabilities). */
export async function diagnoseModel(
  shared: SharedModel,
  params: ParameterSet,
  data: Dataset,
): Promise<ModelDiagnostics> {
  const probabilities = await predictProbabilities(shared, params, data);
  return modelDiagnostics(probabilities, data.labels, shared.numClasses);
}

/**
 * A client's local trainer: its stroke CSV (the Kaggle layout, e.g. a generated cohort), split into train and test
 * with a seed, preprocessed on its own training rows, and a TfjsTrainer on a zoo model. The `flotilla client`
 * process and the simulation it must match (test/) build their trainers here, so both train the same way.
 */
import type { Trainer } from '../core/index.js';
import { loadStrokeCsv } from '../data/index.js';
import { SharedModel, TfjsTrainer, initBackend, type ModelName } from '../ml/index.js';

export interface LocalTrainer {
  readonly trainer: Trainer;
  readonly inputSize: number;
  readonly trainSize: number;
  readonly testSize: number;
}

export async function strokeTrainer(dataPath: string, model: ModelName, seed: number): Promise<LocalTrainer> {
  await initBackend('wasm');
  const split = await loadStrokeCsv({ path: dataPath }, { seed });
  const inputSize = split.preprocessing.featureNames.length;
  // The model's own initial weights never matter: every task brings the global parameters.
  const shared = SharedModel.create(model, { inputShape: [inputSize], numClasses: 2, seed: 0 });
  return {
    trainer: new TfjsTrainer(shared, split.train, { test: split.test }),
    inputSize,
    trainSize: split.train.size,
    testSize: split.test.size,
  };
}

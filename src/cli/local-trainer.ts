/**
 * A client's local trainer on its CSV file and a TfjsTrainer on a zoo model. Two ways to encode features:
 * - `strokeTrainer`: a stroke CSV split into train and test with a seed and preprocessed on its own training rows
 *   (a party on its own);
 * - `preprocessedTrainer`: every row of the data file trains, an optional second file is held out, and both are
 *   encoded with preprocessing fitted elsewhere, so every party of a federation encodes features the same way
 *   (`flotilla federation` fits it on the union of the training rows, standing for federated aggregate statistics).
 * The `flotilla client` process and the simulations it must match (test/) build their trainers here.
 */
import type { Dataset, Trainer } from '../core/index.js';
import { applyTabularCsvFile, loadStrokeCsv, readTabularPreprocessingFile } from '../data/index.js';
import { SharedModel, TfjsTrainer, initBackend, type ModelName } from '../ml/index.js';
import { dpNoiseFactory } from '../sim/dp-noise.js';

export interface LocalTrainer {
  readonly trainer: Trainer;
  readonly inputSize: number;
  readonly trainSize: number;
  readonly testSize: number;
}

function localTrainer(model: ModelName, train: Dataset, test: Dataset | undefined): LocalTrainer {
  const inputSize = train.featureShape[0]!;
  // The model's own initial weights never matter: every task brings the global parameters.
  const shared = SharedModel.create(model, {
    inputShape: [inputSize],
    numClasses: train.numClasses,
    seed: 0,
  });
  return {
    // DP-SGD noise from the platform CSPRNG: a real client's noise must not be predictable from its task's seed.
    trainer: new TfjsTrainer(shared, train, { ...(test ? { test } : {}), dpNoise: dpNoiseFactory('secure') }),
    inputSize,
    trainSize: train.size,
    testSize: test?.size ?? 0,
  };
}

export async function strokeTrainer(dataPath: string, model: ModelName, seed: number): Promise<LocalTrainer> {
  await initBackend('wasm');
  const split = await loadStrokeCsv({ path: dataPath }, { seed });
  return localTrainer(model, split.train, split.test);
}

export interface PreprocessedFiles {
  readonly train: string;
  readonly test?: string;
  /** A `TabularPreprocessing` JSON file (see data/tabular-json.ts). */
  readonly preprocessing: string;
}

export async function preprocessedTrainer(files: PreprocessedFiles, model: ModelName): Promise<LocalTrainer> {
  await initBackend('wasm');
  const preprocessing = await readTabularPreprocessingFile(files.preprocessing);
  const train = (await applyTabularCsvFile(files.train, preprocessing, { name: 'train' })).dataset;
  const test = files.test
    ? (await applyTabularCsvFile(files.test, preprocessing, { name: 'test' })).dataset
    : undefined;
  return localTrainer(model, train, test);
}

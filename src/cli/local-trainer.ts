/**
 * A client's local trainer on its data files and a TfjsTrainer on a zoo model. Image data (`imageTrainer`): IDX
 * images and labels, decoded by the same browser-safe code the participant page runs. Two ways to encode CSV features:
 * - `strokeTrainer`: a stroke CSV split into train and test with a seed and preprocessed on its own training rows
 *   (a party on its own);
 * - `preprocessedTrainer`: every row of the data file trains, an optional second file is held out, and both are
 *   encoded with preprocessing fitted elsewhere, so every party of a federation encodes features the same way
 *   (`flotilla federation` fits it on the union of the training rows, standing for federated aggregate statistics).
 * The `flotilla client` process and the simulations it must match (test/) build their trainers here.
 */
import type { Dataset, ParameterLayout, Trainer } from '../core/index.js';
import {
  applyTabularCsvFile,
  loadStrokeCsv,
  readDataFile,
  readTabularPreprocessingFile,
} from '../data/index.js';
import { clientImageData, type ImageIdxPair } from '../data/image-idx.js';
import { SharedModel, TfjsTrainer, initBackend, type BackendName, type ModelName } from '../ml/index.js';
import { dpNoiseFactory } from '../sim/dp-noise.js';

export interface LocalTrainer {
  readonly trainer: Trainer;
  readonly model: ModelName;
  /** The client model's parameter layout, which the run's global parameters must have. */
  readonly layout: ParameterLayout;
  /** Shape of one example: [features] for CSV rows, [rows, cols, 1] for images. */
  readonly inputShape: readonly number[];
  readonly trainSize: number;
  readonly testSize: number;
  /** The TF.js backend that trains (reported to the server in the hello's runtime). */
  readonly backend: BackendName;
}

async function localTrainer(
  model: ModelName,
  train: Dataset,
  test: Dataset | undefined,
): Promise<LocalTrainer> {
  const backend = await initBackend('wasm');
  // The model's own initial weights never matter: every task brings the global parameters.
  const shared = SharedModel.create(model, {
    inputShape: train.featureShape,
    numClasses: train.numClasses,
    seed: 0,
  });
  return {
    // DP-SGD noise from the platform CSPRNG: a real client's noise must not be predictable from its task's seed.
    trainer: new TfjsTrainer(shared, train, { ...(test ? { test } : {}), dpNoise: dpNoiseFactory('secure') }),
    model,
    layout: shared.layout,
    inputShape: train.featureShape,
    trainSize: train.size,
    testSize: test?.size ?? 0,
    backend,
  };
}

export async function strokeTrainer(dataPath: string, model: ModelName, seed: number): Promise<LocalTrainer> {
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
  const preprocessing = await readTabularPreprocessingFile(files.preprocessing);
  const train = (await applyTabularCsvFile(files.train, preprocessing, { name: 'train' })).dataset;
  const test = files.test
    ? (await applyTabularCsvFile(files.test, preprocessing, { name: 'test' })).dataset
    : undefined;
  return localTrainer(model, train, test);
}

/** Paths of an IDX images file and its labels file (plain or gzipped). */
export interface ImageFiles {
  readonly images: string;
  readonly labels: string;
}

async function readPair(files: ImageFiles): Promise<ImageIdxPair> {
  const [images, labels] = await Promise.all([readDataFile(files.images), readDataFile(files.labels)]);
  return { images: { name: files.images, bytes: images }, labels: { name: files.labels, bytes: labels } };
}

/** Images without a test pair hold out a seeded stratified fifth, as a browser client on the same files does. */
export async function imageTrainer(
  files: { readonly train: ImageFiles; readonly test?: ImageFiles },
  model: ModelName,
  seed: number,
): Promise<LocalTrainer> {
  const split = await clientImageData({
    train: await readPair(files.train),
    ...(files.test ? { test: await readPair(files.test) } : {}),
    seed,
  });
  return localTrainer(model, split.train, split.test);
}

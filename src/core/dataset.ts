/**
 * An in-memory labelled dataset, shared by data loaders (src/data) and trainers (src/ml) without either importing
 * the other. Features are one row-major Float32Array; labels are class indices.
 */
import { FlotillaError } from './errors.js';

/**
 * An in-memory labelled dataset: row-major float32 features and integer class labels.
 * @example
 * ```ts
 * const data: Dataset = {
 *   name: 'xor',
 *   features: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1),
 *   labels: Int32Array.of(0, 1, 1, 0),
 *   featureShape: [2],
 *   numClasses: 2,
 *   size: 4,
 * };
 * ```
 */
export interface Dataset {
  readonly name: string;
  /** Row-major features: `size` rows of `featureSize(featureShape)` values. */
  readonly features: Float32Array;
  /** Class index of each example, in [0, numClasses). */
  readonly labels: Int32Array;
  /** Shape of one example, e.g. [28, 28, 1] for images or [d] for tabular rows. */
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  readonly size: number;
  /** Optional human-readable class names. */
  readonly classNames?: readonly string[];
  /** Optional names of the feature columns (tabular data). */
  readonly featureNames?: readonly string[];
}

/**
 * A dataset split into training and test parts.
 * @example
 * ```ts
 * const { train, test }: TrainTestSplit = loadMnist({ seed: 1 });
 * ```
 */
export interface TrainTestSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * The number of values per example for a feature shape (the product of its dimensions).
 * @example
 * ```ts
 * console.log(featureSize([28, 28, 1])); // 784
 * ```
 */
export function featureSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Checks internal consistency; loaders call it before handing a dataset out. */
export function validateDataset(ds: Dataset): Dataset {
  const width = featureSize(ds.featureShape);
  if (ds.features.length !== ds.size * width) {
    throw new FlotillaError(
      'DATA_INVALID',
      `dataset "${ds.name}" has ${ds.features.length} feature values, expected ${ds.size} x ${width}`,
    );
  }
  if (ds.labels.length !== ds.size) {
    throw new FlotillaError(
      'DATA_INVALID',
      `dataset "${ds.name}" has ${ds.labels.length} labels for ${ds.size} rows`,
    );
  }
  for (let i = 0; i < ds.size; i++) {
    const y = ds.labels[i]!;
    if (y < 0 || y >= ds.numClasses) {
      throw new FlotillaError(
        'DATA_INVALID',
        `dataset "${ds.name}" row ${i} has label ${y} outside [0, ${ds.numClasses})`,
      );
    }
  }
  return ds;
}

/**
 * A new dataset holding the given rows (copied, in the given order).
 * @example
 * ```ts
 * const firstHundred = subsetDataset(train, Uint32Array.from({ length: 100 }, (_, i) => i));
 * ```
 */
export function subsetDataset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const width = featureSize(ds.featureShape);
  const features = new Float32Array(indices.length * width);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const row = indices[k]!;
    if (row < 0 || row >= ds.size)
      throw new FlotillaError('INVALID_ARGUMENT', `row ${row} is outside "${ds.name}"`);
    features.set(ds.features.subarray(row * width, (row + 1) * width), k * width);
    labels[k] = ds.labels[row]!;
  }
  return { ...ds, name, features, labels, size: indices.length };
}

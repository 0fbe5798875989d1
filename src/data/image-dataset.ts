/**
 * Turns a pair of parsed IDX arrays (uint8 images [n, rows, cols] and uint8 labels [n]) into a core Dataset with
 * pixels scaled to [0, 1]. Pure and browser-safe, so a browser client can build the same dataset from fetched bytes.
 */
import { FlotillaError, validateDataset, type Dataset } from '../core/index.js';
import type { IdxArray } from './idx.js';

export interface ImageDatasetOptions {
  readonly name: string;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  /** Keep only the first `limit` examples (file order). */
  readonly limit?: number;
  /** Names of the two sources, for error messages. */
  readonly imagesSource?: string;
  readonly labelsSource?: string;
}

export function idxToImageDataset(images: IdxArray, labels: IdxArray, options: ImageDatasetOptions): Dataset {
  const imagesSource = options.imagesSource ?? 'images';
  const labelsSource = options.labelsSource ?? 'labels';
  if (images.dtype !== 'uint8' || images.dims.length !== 3) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${imagesSource}: expected uint8 images of shape [n, rows, cols], got ${images.dtype} [${images.dims.join(', ')}]`,
    );
  }
  if (labels.dtype !== 'uint8' || labels.dims.length !== 1) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${labelsSource}: expected uint8 labels of shape [n], got ${labels.dtype} [${labels.dims.join(', ')}]`,
    );
  }
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${imagesSource} holds ${count} images but ${labelsSource} holds ${labels.dims[0]} labels`,
    );
  }
  const limit = options.limit ?? count;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new FlotillaError('INVALID_ARGUMENT', `limit must be a non-negative integer, got ${limit}`);
  }
  const size = Math.min(limit, count);
  const pixels = rows * cols;
  const features = new Float32Array(size * pixels);
  const source = images.data as Uint8Array;
  for (let i = 0; i < features.length; i++) features[i] = source[i]! / 255;
  const out = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const y = labels.data[i]!;
    if (y >= options.numClasses) {
      throw new FlotillaError(
        'DATA_INVALID',
        `${labelsSource}: label ${y} of example ${i} is outside [0, ${options.numClasses})`,
      );
    }
    out[i] = y;
  }
  return validateDataset({
    name: options.name,
    features,
    labels: out,
    featureShape: [rows, cols, 1],
    numClasses: options.numClasses,
    size,
    ...(options.classNames ? { classNames: options.classNames } : {}),
  });
}

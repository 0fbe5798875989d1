/**
 * Fashion-MNIST (Xiao et al. 2017) from its four IDX files, gzipped or plain, by default where the Debian package
 * `dataset-fashion-mnist` installs them. 60,000 training and 10,000 test images of 28x28 grey pixels, 10 classes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainTestSplit } from '../core/index.js';
import { maybeGunzip, readDataFile } from './files.js';
import { idxToImageDataset } from './image-dataset.js';
import { parseIdx } from './idx.js';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/**
 * Where Fashion-MNIST is read from, and how much of it.
 * @example
 * ```ts
 * const { train } = await loadFashionMnist({ trainLimit: 5000 } satisfies FashionMnistOptions);
 * ```
 */
export interface FashionMnistOptions {
  /** Folder holding the IDX files (default: the Debian package's folder). */
  readonly dir?: string;
  /** Keep only the first N training / test examples (file order; the files are already shuffled). */
  readonly trainLimit?: number;
  readonly testLimit?: number;
}

const NOT_FOUND_HINT =
  'Install it with `apt-get install dataset-fashion-mnist` or pass the folder holding the IDX files as `dir`';

/** The gzipped file when present, else the plain one (so a missing file is reported under its .gz name). */
function idxPath(dir: string, base: string): string {
  const plain = join(dir, base);
  return existsSync(plain) && !existsSync(`${plain}.gz`) ? plain : `${plain}.gz`;
}

async function readIdx(dir: string, base: string) {
  const path = idxPath(dir, base);
  return parseIdx(await maybeGunzip(await readDataFile(path, NOT_FOUND_HINT), path), path);
}

/**
 * Fashion-MNIST from its IDX files (Debian's `dataset-fashion-mnist` package by default): the official train and
 * test splits.
 * @example
 * ```ts
 * const { train, test } = await loadFashionMnist();
 * ```
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<TrainTestSplit> {
  const dir = options.dir ?? FASHION_MNIST_DIR;
  const load = async (prefix: string, name: string, limit: number | undefined) => {
    const [images, labels] = await Promise.all([
      readIdx(dir, `${prefix}-images-idx3-ubyte`),
      readIdx(dir, `${prefix}-labels-idx1-ubyte`),
    ]);
    return idxToImageDataset(images, labels, {
      name,
      numClasses: 10,
      classNames: FASHION_MNIST_CLASSES,
      imagesSource: idxPath(dir, `${prefix}-images-idx3-ubyte`),
      labelsSource: idxPath(dir, `${prefix}-labels-idx1-ubyte`),
      ...(limit !== undefined ? { limit } : {}),
    });
  };
  // Train before test, so that a folder with several bad files always reports the same one first.
  const train = await load('train', 'fashion-mnist-train', options.trainLimit);
  const test = await load('t10k', 'fashion-mnist-test', options.testLimit);
  return { train, test };
}

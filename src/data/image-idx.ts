/**
 * A client's own image data from IDX files (MNIST layout: uint8 images [n, rows, cols] and uint8 labels [n]), plain
 * or gzipped. Browser-safe and given bytes, not paths: `flotilla client --data ... --labels ...` reads files and
 * the participant page's worker reads the files picked in the browser, and both call this, so the same files and
 * seed give the same training set. Pixels are scaled to [0, 1] exactly as the simulator's IDX loaders do.
 */
import { FlotillaError, Rng, subsetDataset, type TrainTestSplit } from '../core/index.js';
import { idxToImageDataset } from './image-dataset.js';
import { parseIdx } from './idx.js';
import { stratifiedSplit } from './split.js';

/** The IDX magic numbers of MNIST-style files: uint8 with 3 dimensions (images) or 1 (labels). */
const MAGIC = { images: 0x0803, labels: 0x0801 } as const;

export type IdxKind = keyof typeof MAGIC;

/** One IDX file's bytes with the name used in error messages (a path, a picked file's name). */
export interface NamedBytes {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ImageIdxPair {
  readonly images: NamedBytes;
  readonly labels: NamedBytes;
}

export interface ClientImageOptions {
  readonly train: ImageIdxPair;
  /** A held-out pair; without it the client holds out a seeded stratified share of `train`. */
  readonly test?: ImageIdxPair;
  /** Seed of the held-out split (the `--data-seed` of a Node client). */
  readonly seed: number;
  /** Share held out when there is no test pair. Default 0.2. */
  readonly testFraction?: number;
  /** The run's class count: a label at or above it is refused. Default 10. */
  readonly numClasses?: number;
  /** The run's model input, e.g. [28, 28, 1], when the caller knows it: images of another size are refused. */
  readonly inputShape?: readonly number[];
}

/** Decompresses gzip (magic 1f 8b) with the platform's DecompressionStream (Node 18+ and browsers). */
export async function gunzipIfCompressed(file: NamedBytes): Promise<Uint8Array> {
  const { bytes } = file;
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    // File contents are never in shared memory; the cast only narrows the buffer type TypeScript infers.
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new FlotillaError('DATA_INVALID', `${file.name}: corrupt gzip data: ${(error as Error).message}`, {
      path: file.name,
    });
  }
}

/** Whether decompressed bytes start like MNIST-style images or labels; undefined for anything else. */
export function idxKind(bytes: Uint8Array): IdxKind | undefined {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) return undefined;
  const magic = (bytes[2]! << 8) | bytes[3]!;
  return magic === MAGIC.images ? 'images' : magic === MAGIC.labels ? 'labels' : undefined;
}

/**
 * Two files picked together (in either order, either compressed), told apart by their IDX magic: the page's
 * file picker gives no other reliable hint.
 */
export async function pairIdxFiles(files: readonly NamedBytes[]): Promise<ImageIdxPair> {
  if (files.length !== 2) {
    throw new FlotillaError(
      'DATA_INVALID',
      `pick two IDX files together (images and labels), got ${files.length}`,
    );
  }
  const found: Partial<Record<IdxKind, NamedBytes>> = {};
  for (const file of files) {
    const bytes = await gunzipIfCompressed(file);
    const kind = idxKind(bytes);
    if (kind === undefined) {
      throw new FlotillaError(
        'DATA_INVALID',
        `${file.name}: not an IDX images (magic 0x0803) or labels (magic 0x0801) file`,
        { path: file.name },
      );
    }
    if (found[kind]) {
      throw new FlotillaError('DATA_INVALID', `${found[kind].name} and ${file.name} both hold ${kind}`);
    }
    found[kind] = { name: file.name, bytes };
  }
  return { images: found.images!, labels: found.labels! };
}

/** `expected`: the image shape required and what requires it (the run's model, the training images). */
async function pairDataset(
  pair: ImageIdxPair,
  name: string,
  numClasses: number,
  expected?: { readonly shape: readonly number[]; readonly by: string },
) {
  const images = parseIdx(await gunzipIfCompressed(pair.images), pair.images.name);
  const labels = parseIdx(await gunzipIfCompressed(pair.labels), pair.labels.name);
  const dataset = idxToImageDataset(images, labels, {
    name,
    numClasses,
    imagesSource: pair.images.name,
    labelsSource: pair.labels.name,
  });
  if (expected && dataset.featureShape.join('x') !== expected.shape.join('x')) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${pair.images.name}: images of ${dataset.featureShape.join('x')} pixels, but ${expected.by} ${expected.shape.join('x')}`,
      { path: pair.images.name },
    );
  }
  if (dataset.size === 0) {
    throw new FlotillaError('DATA_INVALID', `${pair.images.name}: holds no images`, {
      path: pair.images.name,
    });
  }
  return dataset;
}

/**
 * The client's training and test sets. Test files, when given, must hold images of the training images' size.
 * @example
 * ```ts
 * const { train, test } = await clientImageData({ train: { images, labels }, seed: 0 });
 * ```
 */
export async function clientImageData(options: ClientImageOptions): Promise<TrainTestSplit> {
  const numClasses = options.numClasses ?? 10;
  const model = options.inputShape && { shape: options.inputShape, by: "the run's model takes" };
  const all = await pairDataset(options.train, 'images-train', numClasses, model);
  if (options.test) {
    const test = await pairDataset(options.test, 'images-test', numClasses, {
      shape: all.featureShape,
      by: `the training images (${options.train.images.name}) are`,
    });
    return { train: all, test };
  }
  const split = stratifiedSplit(
    all.labels,
    options.testFraction ?? 0.2,
    new Rng(options.seed).split('images'),
  );
  return {
    train: subsetDataset(all, split.train, 'images-train'),
    test: subsetDataset(all, split.test, 'images-test'),
  };
}

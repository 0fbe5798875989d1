import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { encodeIdxUint8 } from './idx.js';
import { clientImageData, idxKind, pairIdxFiles, type ImageIdxPair } from './image-idx.js';

/** n images of rows x cols whose pixels encode their index, and labels i mod classes. */
function pair(n: number, rows = 4, cols = 4, classes = 3): ImageIdxPair {
  const pixels = Uint8Array.from({ length: n * rows * cols }, (_, i) => Math.floor(i / (rows * cols)) % 256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % classes);
  return {
    images: { name: 'imgs.idx', bytes: encodeIdxUint8([n, rows, cols], pixels) },
    labels: { name: 'lbls.idx', bytes: encodeIdxUint8([n], labels) },
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('clientImageData', () => {
  it('scales pixels to [0, 1] and holds out a seeded stratified fifth', async () => {
    const data = pair(50);
    const a = await clientImageData({ train: data, seed: 3 });
    const b = await clientImageData({ train: data, seed: 3 });
    const c = await clientImageData({ train: data, seed: 4 });
    expect([a.train.size, a.test.size]).toEqual([40, 10]);
    expect(a.train.featureShape).toEqual([4, 4, 1]);
    expect(Array.from(a.train.features)).toEqual(Array.from(b.train.features));
    expect(Array.from(a.train.labels)).not.toEqual(Array.from(c.train.labels));
    // Image k has every pixel k / 255: the labels still belong to their images after the shuffle.
    for (let i = 0; i < a.train.size; i++) {
      const k = Math.round(a.train.features[i * 16]! * 255);
      expect(a.train.labels[i]).toBe(k % 3);
    }
  });

  it('reads gzipped files and uses a test pair as given', async () => {
    const train = pair(20);
    const test = pair(6);
    const zipped = { ...train, images: { name: 'imgs.gz', bytes: gzipSync(train.images.bytes) } };
    const split = await clientImageData({ train: zipped, test, seed: 0 });
    expect([split.train.size, split.test.size]).toEqual([20, 6]);
    expect(split.train.features[16]).toBeCloseTo(1 / 255);
  });

  it.each([
    [
      'mismatched counts',
      { train: { ...pair(5), labels: pair(4).labels } },
      'imgs.idx holds 5 images but lbls.idx holds 4',
    ],
    [
      'wrong magic',
      { train: { ...pair(5), images: { name: 'x.csv', bytes: new TextEncoder().encode('a,b\n1,2') } } },
      'x.csv: not a valid IDX file',
    ],
    [
      'images and labels swapped',
      { train: { images: pair(5).labels, labels: pair(5).images } },
      'lbls.idx: expected uint8 images',
    ],
    [
      'wrong image size for the model',
      { train: pair(5), inputShape: [28, 28, 1] },
      "images of 4x4x1 pixels, but the run's model takes 28x28x1",
    ],
    [
      'a label out of range',
      { train: pair(5, 4, 4, 3), numClasses: 2 },
      'lbls.idx: label 2 of example 2 is outside [0, 2)',
    ],
    [
      'test images of another size',
      { train: pair(5), test: pair(5, 3, 3) },
      'images of 3x3x1 pixels, but the training images (imgs.idx) are 4x4x1',
    ],
    [
      'corrupt gzip',
      { train: { ...pair(5), labels: { name: 'l.gz', bytes: Uint8Array.from([0x1f, 0x8b, 1, 2, 3]) } } },
      'l.gz: corrupt gzip data',
    ],
  ])('refuses %s with one typed line', async (_what, options, message) => {
    const error = await failure(clientImageData({ seed: 0, ...options }));
    expect(isFlotillaError(error, 'DATA_INVALID'), String(error)).toBe(true);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });
});

describe('pairIdxFiles', () => {
  it('tells images from labels by their magic, in either order and compressed or not', async () => {
    const { images, labels } = pair(3);
    const zipped = { name: 'l.gz', bytes: gzipSync(labels.bytes) };
    const found = await pairIdxFiles([zipped, images]);
    expect(found.images.name).toBe('imgs.idx');
    expect(found.labels.name).toBe('l.gz');
    expect(idxKind(found.labels.bytes)).toBe('labels');
  });

  it('refuses two files of one kind, a stranger, or a single file', async () => {
    const { images, labels } = pair(3);
    await expect(pairIdxFiles([images, images])).rejects.toThrow('imgs.idx and imgs.idx both hold images');
    const csv = { name: 'data.csv', bytes: new TextEncoder().encode('a,b') };
    await expect(pairIdxFiles([csv, labels])).rejects.toThrow('data.csv: not an IDX images');
    await expect(pairIdxFiles([labels])).rejects.toThrow('got 1');
  });
});

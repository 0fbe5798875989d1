import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FlotillaError } from '../core/index.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';

function header(dtype: number, dims: number[]): number[] {
  const bytes = [0, 0, dtype, dims.length];
  for (const d of dims) bytes.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return bytes;
}

/** Writes a tiny Fashion-MNIST-shaped folder: `count` 2x2 images per split, plain or gzipped. */
async function fixture(options: { gzip: boolean; labels?: number[]; corruptTestImages?: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-fmnist-'));
  const labels = options.labels ?? [3, 9, 0];
  const images = labels.flatMap((_, i) => [0, 51, 255, i]);
  const write = async (name: string, bytes: number[]) => {
    const data = Uint8Array.from(bytes);
    if (options.gzip) await writeFile(join(dir, `${name}.gz`), gzipSync(data));
    else await writeFile(join(dir, name), data);
  };
  for (const prefix of ['train', 't10k']) {
    await write(`${prefix}-images-idx3-ubyte`, [...header(0x08, [labels.length, 2, 2]), ...images]);
    await write(`${prefix}-labels-idx1-ubyte`, [...header(0x08, [labels.length]), ...labels]);
  }
  if (options.corruptTestImages) {
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
  }
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<FlotillaError> {
  try {
    await promise;
  } catch (error) {
    return error as FlotillaError;
  }
  throw new Error('expected a rejection');
}

describe('loadFashionMnist', () => {
  it.each([true, false])('reads IDX files (gzip: %s) into [0,1] pixels and labels', async (gzip) => {
    const { train, test } = await loadFashionMnist({ dir: await fixture({ gzip }) });
    expect(train.size).toBe(3);
    expect(test.size).toBe(3);
    expect(train.featureShape).toEqual([2, 2, 1]);
    expect(Array.from(train.labels)).toEqual([3, 9, 0]);
    expect(Array.from(train.features.subarray(0, 4))).toEqual([0, Math.fround(0.2), 1, 0]);
    expect(train.features[7]).toBeCloseTo(1 / 255, 7);
    expect(train.classNames?.[9]).toBe('Ankle boot');
  });

  it('keeps only the first trainLimit / testLimit examples', async () => {
    const { train, test } = await loadFashionMnist({
      dir: await fixture({ gzip: true }),
      trainLimit: 2,
      testLimit: 1,
    });
    expect(Array.from(train.labels)).toEqual([3, 9]);
    expect(train.features.length).toBe(8);
    expect(Array.from(test.labels)).toEqual([3]);
  });

  it('reports a missing folder as DATA_NOT_FOUND with the path and how to install', async () => {
    const error = await rejection(loadFashionMnist({ dir: '/nonexistent/fmnist' }));
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.message).toContain('/nonexistent/fmnist/');
    expect(error.message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('reports corrupt gzip and out-of-range labels as DATA_INVALID naming the file', async () => {
    const corrupt = await rejection(
      loadFashionMnist({ dir: await fixture({ gzip: true, corruptTestImages: true }) }),
    );
    expect(corrupt.code).toBe('DATA_INVALID');
    expect(corrupt.message).toMatch(/t10k-images-idx3-ubyte\.gz: corrupt gzip/);
    const badLabel = await rejection(
      loadFashionMnist({ dir: await fixture({ gzip: false, labels: [1, 10] }) }),
    );
    expect(badLabel.code).toBe('DATA_INVALID');
    expect(badLabel.message).toMatch(/train-labels-idx1-ubyte: label 10 of example 1 is outside \[0, 10\)/);
  });

  it.runIf(existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz')))(
    'loads the installed dataset',
    async () => {
      const { train, test } = await loadFashionMnist({ trainLimit: 2000 });
      expect(train.size).toBe(2000);
      expect(test.size).toBe(10_000);
      const counts = new Array<number>(10).fill(0);
      for (const y of test.labels) counts[y]!++;
      expect(counts).toEqual(new Array<number>(10).fill(1000)); // the official test set is balanced
      expect(test.features.reduce((a, b) => Math.max(a, b), 0)).toBe(1);
    },
  );
});

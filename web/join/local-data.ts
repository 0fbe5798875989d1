/**
 * The participant's picked files turned into training and test data, in the worker, with the project's own parsers
 * (nothing re-implemented): a stroke CSV is split and preprocessed exactly as `flotilla client --data FILE
 * --data-seed N` does (strokeTrainer in src/cli/local-trainer.ts), so the same file and seed give the same update;
 * an image task takes an images IDX file and a labels IDX file, told apart by their IDX magic, gzipped or not.
 */
import { FlotillaError, type Dataset } from '../../src/core/index.js';
import { parseIdx } from '../../src/data/idx.js';
import { idxToImageDataset } from '../../src/data/image-dataset.js';
import { parseStrokeCsv } from '../../src/data/stroke.js';
import type { ParticipantTask } from '../../src/server/participant-page.js';
import type { PickedFileMessage } from './messages.js';

export interface LocalData {
  readonly train: Dataset;
  readonly test?: Dataset;
  /** One line for the page: what was read. */
  readonly summary: string;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

async function gunzip(bytes: ArrayBuffer): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function plain(file: PickedFileMessage): Promise<Uint8Array> {
  const bytes = new Uint8Array(file.bytes);
  return isGzip(bytes) ? gunzip(file.bytes) : bytes;
}

async function strokeCsv(files: readonly PickedFileMessage[], seed: number): Promise<LocalData> {
  if (files.length !== 1) {
    throw new FlotillaError('DATA_INVALID', `this run trains on one CSV file; ${files.length} were picked`);
  }
  const file = files[0]!;
  const text = new TextDecoder().decode(await plain(file));
  const { train, test } = parseStrokeCsv(text, { source: file.name, seed });
  return {
    train,
    test,
    summary: `${file.name}: ${train.size} training rows, ${test.size} held out (data seed ${seed})`,
  };
}

/** IDX magic: 0x0803 is uint8 images [n, rows, cols], 0x0801 uint8 labels [n]. */
async function imagesIdx(files: readonly PickedFileMessage[], numClasses: number): Promise<LocalData> {
  const parsed = await Promise.all(
    files.map(async (f) => ({ name: f.name, idx: parseIdx(await plain(f), f.name) })),
  );
  const images = parsed.filter((p) => p.idx.dtype === 'uint8' && p.idx.dims.length === 3);
  const labels = parsed.filter((p) => p.idx.dtype === 'uint8' && p.idx.dims.length === 1);
  if (files.length !== 2 || images.length !== 1 || labels.length !== 1) {
    throw new FlotillaError(
      'DATA_INVALID',
      `this run trains on images: pick two IDX files together, one of images (magic 0x0803) and one of labels (0x0801); got ${parsed.map((p) => `${p.name} [${p.idx.dims.join(', ')}]`).join(', ')}`,
    );
  }
  const train = idxToImageDataset(images[0]!.idx, labels[0]!.idx, {
    name: images[0]!.name,
    numClasses,
    imagesSource: images[0]!.name,
    labelsSource: labels[0]!.name,
  });
  return { train, summary: `${images[0]!.name} + ${labels[0]!.name}: ${train.size} images` };
}

export function loadLocalData(
  task: ParticipantTask,
  files: readonly PickedFileMessage[],
  seed: number,
): Promise<LocalData> {
  return task.data === 'images-idx' ? imagesIdx(files, task.model.numClasses) : strokeCsv(files, seed);
}

/**
 * The participant's picked files turned into training and test data, in the worker, with the project's own parsers
 * (nothing re-implemented): a stroke CSV is split and preprocessed exactly as `flotilla client --data FILE
 * --data-seed N` does (strokeTrainer in src/cli/local-trainer.ts), so the same file and seed give the same update;
 * an image task takes an images IDX file and a labels IDX file, told apart by their IDX magic, gzipped or not, and
 * holds out a share of them exactly as `flotilla client --data IMAGES --labels LABELS --data-seed N` does.
 */
import { FlotillaError, type Dataset } from '../../src/core/index.js';
import { clientImageData, gunzipIfCompressed, pairIdxFiles } from '../../src/data/image-idx.js';
import { parseStrokeCsv } from '../../src/data/stroke.js';
import type { ParticipantTask } from '../../src/server/participant-page.js';
import type { PickedFileMessage } from './messages.js';

export interface LocalData {
  readonly train: Dataset;
  readonly test?: Dataset;
  /** One line for the page: what was read. */
  readonly summary: string;
}

const named = (file: PickedFileMessage) => ({ name: file.name, bytes: new Uint8Array(file.bytes) });

async function strokeCsv(files: readonly PickedFileMessage[], seed: number): Promise<LocalData> {
  if (files.length !== 1) {
    throw new FlotillaError('DATA_INVALID', `this run trains on one CSV file; ${files.length} were picked`);
  }
  const file = files[0]!;
  const text = new TextDecoder().decode(await gunzipIfCompressed(named(file)));
  const { train, test } = parseStrokeCsv(text, { source: file.name, seed });
  return {
    train,
    test,
    summary: `${file.name}: ${train.size} training rows, ${test.size} held out (data seed ${seed})`,
  };
}

/** Images and labels picked together, told apart by their IDX magic, split like `flotilla client --labels`. */
async function imagesIdx(
  files: readonly PickedFileMessage[],
  task: ParticipantTask,
  seed: number,
): Promise<LocalData> {
  const pair = await pairIdxFiles(files.map(named));
  const { train, test } = await clientImageData({
    train: pair,
    seed,
    numClasses: task.model.numClasses,
    inputShape: task.model.inputShape,
  });
  return {
    train,
    test,
    summary: `${pair.images.name} + ${pair.labels.name}: ${train.size} training images, ${test.size} held out (data seed ${seed})`,
  };
}

export function loadLocalData(
  task: ParticipantTask,
  files: readonly PickedFileMessage[],
  seed: number,
): Promise<LocalData> {
  return task.data === 'images-idx' ? imagesIdx(files, task, seed) : strokeCsv(files, seed);
}

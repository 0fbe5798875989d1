/**
 * Node-only: tabular and stroke CSV files on disk, read through the pure parsers (csv.ts, tabular.ts, stroke.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlotillaError } from '../core/index.js';
import { readTextFile } from './files.js';
import { parseStrokeCsv, strokeRecordsToCsv, type StrokeRecord } from './stroke.js';
import { parseTabularPreprocessing } from './tabular-json.js';
import {
  applyTabularCsv,
  loadTabularCsv,
  type TabularDataset,
  type TabularLoadOptions,
  type TabularPreprocessing,
  type TabularReadOptions,
  type TabularSplit,
} from './tabular.js';
import type { TabularSchema } from './tabular-schema.js';

/**
 * Loads a CSV file (optionally gzipped) and splits, fits and encodes it; see loadTabularCsv.
 * @example
 * ```ts
 * const { train, test, preprocessing } = await loadTabularCsvFile('patients.csv', schema, { seed: 1 });
 * ```
 */
export async function loadTabularCsvFile(
  path: string,
  schema: TabularSchema,
  options: TabularLoadOptions,
): Promise<TabularSplit> {
  return loadTabularCsv(await readTextFile(path), schema, { source: path, ...options });
}

/**
 * Encodes a CSV file with preprocessing fitted elsewhere (e.g. another hospital's test file).
 * @example
 * ```ts
 * const { dataset } = await applyTabularCsvFile('other-site.csv', preprocessing);
 * ```
 */
export async function applyTabularCsvFile(
  path: string,
  preprocessing: TabularPreprocessing,
  options: TabularReadOptions = {},
): Promise<TabularDataset> {
  return applyTabularCsv(await readTextFile(path), preprocessing, { source: path, ...options });
}

/**
 * Stroke CSV from a file (`{ path }`, e.g. the Kaggle download) or from text already in memory (`{ text }`).
 * @example
 * ```ts
 * const { train, test } = await loadStrokeCsv({ path: 'healthcare-dataset-stroke-data.csv' }, { seed: 1 });
 * ```
 */
export async function loadStrokeCsv(
  input: { readonly path: string } | { readonly text: string },
  options: TabularLoadOptions,
): Promise<TabularSplit> {
  if ('text' in input) return parseStrokeCsv(input.text, options);
  return parseStrokeCsv(await readTextFile(input.path), { source: input.path, ...options });
}

/** Writes stroke records as a CSV file in the Kaggle layout, creating the folder if needed. */
export async function writeStrokeCsv(path: string, records: readonly StrokeRecord[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, strokeRecordsToCsv(records), 'utf8');
}

/** Reads and checks a preprocessing JSON file written by `writeTabularPreprocessingFile`. */
export async function readTabularPreprocessingFile(path: string): Promise<TabularPreprocessing> {
  const text = await readTextFile(path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new FlotillaError('DATA_INVALID', `${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseTabularPreprocessing(raw, path);
}

export async function writeTabularPreprocessingFile(
  path: string,
  preprocessing: TabularPreprocessing,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(preprocessing, null, 2)}\n`, 'utf8');
}

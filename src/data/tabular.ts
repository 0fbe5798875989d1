/**
 * Tabular preprocessing fitted on a training split only: numeric columns are imputed (training mean or median)
 * and standardised with the training mean and standard deviation; categorical columns are one-hot encoded with
 * categories given or learned from training rows. The fitted `TabularPreprocessing` is plain JSON, so a test split
 * or another hospital's file is encoded with exactly the same statistics (`applyTabularCsv`). Pure and
 * browser-safe.
 */
import { FlotillaError, Rng, validateDataset, type Dataset, type TrainTestSplit } from '../core/index.js';
import { formatCsv, parseCsv, type CsvTable } from './csv.js';
import { stratifiedSplit } from './split.js';
import {
  IssueLog,
  decodeRows,
  featureColumns,
  resolveClasses,
  type DecodedRow,
  type MalformedRowPolicy,
  type RowIssue,
  type TabularSchema,
} from './tabular-schema.js';

export interface FittedNumeric {
  readonly name: string;
  readonly kind: 'numeric';
  /** Value used for missing entries (training mean or median). */
  readonly fill: number;
  readonly mean: number;
  /** Training standard deviation (population); 1 for a constant column, so it encodes as zeros. */
  readonly std: number;
}

export interface FittedCategorical {
  readonly name: string;
  readonly kind: 'categorical';
  readonly categories: readonly string[];
  /** Mode used for missing entries, or null when missing values have their own one-hot column. */
  readonly fill: string | null;
  readonly unseen: 'zero' | 'error';
}

export type FittedColumn = FittedNumeric | FittedCategorical;

/**
 * Preprocessing fitted on training rows (means, deviations, imputation values, categories): every party encodes
 * its rows with the same one.
 * @example
 * ```ts
 * const { preprocessing } = await loadTabularCsvFile('site-a.csv', schema, { seed: 1 });
 * const { dataset } = await applyTabularCsvFile('site-b.csv', preprocessing);
 * ```
 */
export interface TabularPreprocessing {
  readonly schema: TabularSchema;
  readonly columns: readonly FittedColumn[];
  /** Label values in class-index order. */
  readonly classes: readonly string[];
  /** One name per encoded feature: the column name, or `column=category` for one-hot columns. */
  readonly featureNames: readonly string[];
}

export const MISSING_CATEGORY = '<missing>';

export interface TabularReadOptions {
  /** Dataset name (default 'tabular'). */
  readonly name?: string;
  /** File name used in error messages (default 'CSV'). */
  readonly source?: string;
  /** Throw on the first malformed row (default) or leave malformed rows out and list them in `issues`. */
  readonly onMalformedRow?: MalformedRowPolicy;
  readonly delimiter?: string;
}

export interface TabularLoadOptions extends TabularReadOptions {
  readonly seed: number;
  /** Share of rows held out for testing, stratified by label (default 0.2). */
  readonly testFraction?: number;
}

/**
 * A tabular file split into training and test data, with the preprocessing fitted on its training rows.
 * @example
 * ```ts
 * const split: TabularSplit = await loadStrokeCsv({ path: 'stroke.csv' }, { seed: 1 });
 * ```
 */
export interface TabularSplit extends TrainTestSplit {
  readonly preprocessing: TabularPreprocessing;
  /** Rows left out (only with `onMalformedRow: 'skip'`). */
  readonly issues: readonly RowIssue[];
}

export interface TabularDataset {
  readonly dataset: Dataset;
  readonly issues: readonly RowIssue[];
}

/** Learns imputation values, standardisation statistics and categories from training rows. */
function fitTabular(
  schema: TabularSchema,
  rows: readonly DecodedRow[],
  classes: readonly string[],
  source = 'CSV',
): TabularPreprocessing {
  const columns: FittedColumn[] = featureColumns(schema).map((spec, k) => {
    if (spec.kind === 'numeric') {
      const values = rows.map((r) => r.values[k]).filter((v): v is number => v !== null);
      if (values.length === 0) {
        throw new FlotillaError(
          'DATA_INVALID',
          `${source}: numeric column "${spec.name}" has no training values`,
        );
      }
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
      const fill = (spec.impute ?? 'median') === 'mean' ? mean : median(values);
      return { name: spec.name, kind: 'numeric', fill, mean, std: variance > 0 ? Math.sqrt(variance) : 1 };
    }
    const values = rows.map((r) => r.values[k]).filter((v): v is string => v !== null);
    const categories = spec.categories ? [...spec.categories] : [...new Set(values)].sort(compareStrings);
    let fill: string | null = null;
    if ((spec.missing ?? 'category') === 'mode') {
      const most = mode(values);
      if (most === undefined) {
        throw new FlotillaError(
          'DATA_INVALID',
          `${source}: categorical column "${spec.name}" has no training values`,
        );
      }
      fill = most;
    }
    return { name: spec.name, kind: 'categorical', categories, fill, unseen: spec.unseen ?? 'zero' };
  });
  const featureNames = columns.flatMap((c) =>
    c.kind === 'numeric'
      ? [c.name]
      : [...c.categories, ...(c.fill === null ? [MISSING_CATEGORY] : [])].map((v) => `${c.name}=${v}`),
  );
  return { schema, columns, classes: [...classes], featureNames };
}

/** Encodes decoded rows with fitted statistics. Rows with an unseen category under `unseen: 'error'` go to `log`. */
function transformTabular(
  prep: TabularPreprocessing,
  rows: readonly DecodedRow[],
  name: string,
  log: IssueLog,
): Dataset {
  const width = prep.featureNames.length;
  const classIndex = new Map(prep.classes.map((c, k) => [c, k]));
  const categoryIndex = prep.columns.map((c) =>
    c.kind === 'categorical' ? new Map(c.categories.map((v, k) => [v, k])) : undefined,
  );
  const features: number[] = [];
  const labels: number[] = [];
  const row = new Float32Array(width);
  rowLoop: for (const r of rows) {
    row.fill(0);
    let offset = 0;
    for (let k = 0; k < prep.columns.length; k++) {
      const column = prep.columns[k]!;
      const value = r.values[k] ?? null;
      if (column.kind === 'numeric') {
        row[offset++] = ((value === null ? column.fill : (value as number)) - column.mean) / column.std;
        continue;
      }
      const category = value === null ? column.fill : (value as string);
      if (category === null) {
        row[offset + column.categories.length] = 1; // the explicit missing column
      } else {
        const at = categoryIndex[k]!.get(category);
        if (at !== undefined) row[offset + at] = 1;
        else if (column.unseen === 'error') {
          log.report({
            line: r.line,
            column: column.name,
            message: `column "${column.name}" has category "${category}", not one of ${column.categories.length} known`,
          });
          continue rowLoop;
        }
      }
      offset += column.categories.length + (column.fill === null ? 1 : 0);
    }
    const y = classIndex.get(r.label);
    if (y === undefined) {
      log.report({
        line: r.line,
        column: prep.schema.label,
        message: `label "${r.label}" is not a known class`,
      });
      continue;
    }
    for (let j = 0; j < width; j++) features.push(row[j]!);
    labels.push(y);
  }
  return validateDataset({
    name,
    features: Float32Array.from(features),
    labels: Int32Array.from(labels),
    featureShape: [width],
    numClasses: prep.classes.length,
    size: labels.length,
    classNames: prep.classes,
    featureNames: prep.featureNames,
  });
}

/** Parses CSV text, splits it (stratified, seeded), fits preprocessing on the training rows and encodes both. */
export function loadTabularCsv(
  text: string,
  schema: TabularSchema,
  options: TabularLoadOptions,
): TabularSplit {
  const source = options.source ?? 'CSV';
  const name = options.name ?? 'tabular';
  const log = new IssueLog(source, options.onMalformedRow ?? 'error');
  const table = parseCsv(text, { source, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
  const rows = decodeRows(table, schema, source, log);
  const classes = resolveClasses(schema, rows, source);
  const classIndex = new Map(classes.map((c, k) => [c, k]));
  const split = stratifiedSplit(
    rows.map((r) => classIndex.get(r.label)!),
    options.testFraction ?? 0.2,
    new Rng(options.seed).split('tabular-split'),
  );
  const pick = (indices: Uint32Array) => Array.from(indices, (i) => rows[i]!);
  const trainRows = pick(split.train);
  const preprocessing = fitTabular(schema, trainRows, classes, source);
  const train = transformTabular(preprocessing, trainRows, `${name}-train`, log);
  const test = transformTabular(preprocessing, pick(split.test), `${name}-test`, log);
  return { train, test, preprocessing, issues: [...log.issues].sort((a, b) => a.line - b.line) };
}

/** Encodes another CSV (a test file, another hospital's data) with already fitted preprocessing. */
export function applyTabularCsv(
  text: string,
  preprocessing: TabularPreprocessing,
  options: TabularReadOptions = {},
): TabularDataset {
  const source = options.source ?? 'CSV';
  const log = new IssueLog(source, options.onMalformedRow ?? 'error');
  const table = parseCsv(text, { source, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
  const schema = { ...preprocessing.schema, classes: preprocessing.classes };
  const rows = decodeRows(table, schema, source, log);
  const dataset = transformTabular(preprocessing, rows, options.name ?? 'tabular', log);
  return { dataset, issues: log.issues };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Most frequent value; ties go to the value that sorts first, so the result does not depend on row order. */
function mode(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) {
    const bestCount = best === undefined ? -1 : counts.get(best)!;
    if (n > bestCount || (n === bestCount && compareStrings(v, best!) < 0)) best = v;
  }
  return best;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A CSV decoded against a schema but not yet encoded: for callers that choose the training rows themselves (e.g. a
 * simulation that partitions rows among clients and splits each client's rows before fitting statistics on the
 * union of the training parts). `column(name)` gives a raw column, e.g. to group rows by an attribute.
 */
export class DecodedTabular {
  readonly issues: readonly RowIssue[];
  readonly classes: readonly string[];
  /** Class index of every decoded row. */
  readonly labels: Int32Array;

  private constructor(
    private readonly table: CsvTable,
    private readonly rows: readonly DecodedRow[],
    private readonly schema: TabularSchema,
    private readonly source: string,
    private readonly log: IssueLog,
  ) {
    this.issues = log.issues;
    this.classes = resolveClasses(schema, rows, source);
    const classIndex = new Map(this.classes.map((c, k) => [c, k]));
    this.labels = Int32Array.from(rows, (r) => classIndex.get(r.label)!);
  }

  static parse(text: string, schema: TabularSchema, options: TabularReadOptions = {}): DecodedTabular {
    const source = options.source ?? 'CSV';
    const log = new IssueLog(source, options.onMalformedRow ?? 'error');
    const table = parseCsv(text, { source, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
    return new DecodedTabular(table, decodeRows(table, schema, source, log), schema, source, log);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Raw text of one column for every decoded row. */
  column(name: string): string[] {
    const index = this.table.header.indexOf(name);
    if (index < 0) throw new FlotillaError('DATA_INVALID', `${this.source} has no column "${name}"`);
    const byLine = new Map(this.table.records.map((r) => [r.line, r.fields[index] ?? '']));
    return this.rows.map((r) => byLine.get(r.line) ?? '');
  }

  /**
   * The given rows as CSV text with the original header and fields, e.g. to hand each party of a deployment exactly
   * the rows a simulation gives it; re-reading the text decodes to the same rows.
   */
  toCsv(rows: ArrayLike<number>): string {
    const byLine = new Map(this.table.records.map((r) => [r.line, r.fields]));
    return formatCsv(
      this.table.header,
      this.pick(rows).map((r) => byLine.get(r.line) ?? []),
    );
  }

  /** Fits imputation, standardization and categories on the given rows only. */
  fit(trainRows: ArrayLike<number>): TabularPreprocessing {
    return fitTabular(this.schema, this.pick(trainRows), this.classes, this.source);
  }

  encode(preprocessing: TabularPreprocessing, rows: ArrayLike<number>, name: string): Dataset {
    return transformTabular(preprocessing, this.pick(rows), name, this.log);
  }

  private pick(indices: ArrayLike<number>): DecodedRow[] {
    return Array.from(indices as ArrayLike<number>, (i) => this.rows[i]!);
  }
}

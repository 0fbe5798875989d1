/**
 * Schemas for tabular JSON read from files: a column schema (`--schema`) and a fitted `TabularPreprocessing` (what a
 * federation hands every party so that all encode features with the same statistics). Pure and browser-safe.
 */
import {
  FlotillaError,
  arr,
  num,
  obj,
  oneOf,
  optional,
  parse,
  str,
  literal,
  type Schema,
} from '../core/index.js';
import type { TabularPreprocessing } from './tabular.js';
import { featureColumns, type TabularSchema } from './tabular-schema.js';

const columnSpec = obj({
  name: str({ minLength: 1 }),
  kind: oneOf(['numeric', 'categorical', 'ignore'] as const),
  impute: optional(oneOf(['mean', 'median'] as const)),
  categories: optional(arr(str())),
  missing: optional(oneOf(['category', 'mode'] as const)),
  unseen: optional(oneOf(['zero', 'error'] as const)),
});

export const tabularSchemaSpec = obj({
  columns: arr(columnSpec, { minLength: 1 }),
  label: str({ minLength: 1 }),
  classes: optional(arr(str())),
  positiveLabel: optional(str()),
  missingValues: optional(arr(str())),
});

const stringOrNull: Schema<string | null> = {
  expected: 'a string or null',
  check: (value, path) => (value === null ? null : str().check(value, path)),
};

const fittedNumeric = obj({
  name: str({ minLength: 1 }),
  kind: literal('numeric'),
  fill: num(),
  mean: num(),
  std: num({ above: 0 }),
});

const fittedCategorical = obj({
  name: str({ minLength: 1 }),
  kind: literal('categorical'),
  categories: arr(str()),
  fill: stringOrNull,
  unseen: oneOf(['zero', 'error'] as const),
});

/** A fitted column is told apart by its `kind`; anything else fails as a malformed numeric column would. */
const fittedColumn: Schema<unknown> = {
  expected: 'a fitted numeric or categorical column',
  check: (value, path) =>
    (value as { kind?: unknown } | null)?.kind === 'categorical'
      ? fittedCategorical.check(value, path)
      : fittedNumeric.check(value, path),
};

const preprocessingSpec = obj({
  schema: tabularSchemaSpec,
  columns: arr(fittedColumn, { minLength: 1 }),
  classes: arr(str(), { minLength: 2 }),
  featureNames: arr(str(), { minLength: 1 }),
});

/** Checks a parsed preprocessing JSON: well-formed, and its fitted columns are the schema's feature columns. */
export function parseTabularPreprocessing(raw: unknown, source: string): TabularPreprocessing {
  const prep = parse(preprocessingSpec, raw, source, 'DATA_INVALID') as unknown as TabularPreprocessing;
  const expected = featureColumns(prep.schema as TabularSchema).map((c) => c.name);
  const got = prep.columns.map((c) => c.name);
  if (expected.join('\u0000') !== got.join('\u0000')) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${source}: fitted columns (${got.join(', ')}) are not the schema's feature columns (${expected.join(', ')})`,
    );
  }
  const width = prep.columns.reduce(
    (n, c) => n + (c.kind === 'numeric' ? 1 : c.categories.length + (c.fill === null ? 1 : 0)),
    0,
  );
  if (width !== prep.featureNames.length) {
    throw new FlotillaError(
      'DATA_INVALID',
      `${source}: ${prep.featureNames.length} feature names for ${width} encoded features`,
    );
  }
  return prep;
}

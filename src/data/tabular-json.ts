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
  described,
  jsonSchemaOf,
  tagged,
  type JsonSchema,
  type Schema,
} from '../core/index.js';
import type { TabularPreprocessing } from './tabular.js';
import { featureColumns, type TabularSchema } from './tabular-schema.js';

const columnName = described(
  str({ minLength: 1 }),
  'the column as named in the CSV header (each column once)',
);

const columnSpec = tagged('kind', {
  numeric: obj({
    name: columnName,
    kind: described(literal('numeric'), "a number; standardized with the training rows' mean and deviation"),
    impute: described(
      optional(oneOf(['mean', 'median'] as const)),
      'fill for missing values, from the training rows (default median)',
    ),
  }),
  categorical: obj({
    name: columnName,
    kind: described(literal('categorical'), 'a category; one-hot encoded'),
    categories: described(
      optional(arr(str())),
      'the categories in one-hot order (default: learned from the training rows, sorted)',
    ),
    missing: described(
      optional(oneOf(['category', 'mode'] as const)),
      'missing values: an extra one-hot column NAME=<missing> (category, default) or the most frequent category (mode)',
    ),
    unseen: described(
      optional(oneOf(['zero', 'error'] as const)),
      'a value outside the categories: all zeros (zero, default) or a malformed row (error)',
    ),
  }),
  ignore: obj({
    name: columnName,
    kind: described(literal('ignore'), 'read but not a feature (an id, a free-text note)'),
  }),
});

export const tabularSchemaSpec = obj({
  columns: described(
    arr(columnSpec, { minLength: 1 }),
    'every column of the CSV except the label, each numeric, categorical or ignore',
  ),
  label: described(str({ minLength: 1 }), 'the label column'),
  classes: described(
    optional(arr(str())),
    'label values in class-index order; other labels are malformed rows (default: the values in the file, sorted)',
  ),
  positiveLabel: described(
    optional(str()),
    'binary tasks: the label value that is class 1 (the other one is class 0)',
  ),
  missingValues: described(
    optional(arr(str())),
    'field values (trimmed) that mean missing (default "", NA, N/A, ?)',
  ),
});

/** The published JSON Schema of `--schema` files (`flotilla config schema tabular`), from the spec that checks them. */
export function tabularSchemaJsonSchema(): JsonSchema {
  return jsonSchemaOf(tabularSchemaSpec, 'Flotilla tabular column schema (--schema)');
}

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

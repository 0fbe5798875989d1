/**
 * Column schemas for tabular CSV data and the first, statistics-free step of loading: checking each CSV record
 * against the schema and decoding its fields (numbers parsed, missing-value tokens recognised, the label read).
 * Bad rows are reported with their 1-based line; by default the first one is a DATA_INVALID error, with
 * `onMalformedRow: 'skip'` they are collected and left out. Pure and browser-safe.
 */
import { FlotillaError } from '../core/index.js';
import type { CsvTable } from './csv.js';

/**
 * A numeric feature column: standardized, missing values imputed.
 * @example
 * ```ts
 * const age: NumericColumn = { name: 'age', kind: 'numeric' };
 * ```
 */
export interface NumericColumn {
  readonly name: string;
  readonly kind: 'numeric';
  /** Fill for missing values, computed on the training split (default 'median': robust to skew, e.g. bmi). */
  readonly impute?: 'mean' | 'median';
}

/**
 * A categorical feature column: one-hot encoded.
 * @example
 * ```ts
 * const smoking: CategoricalColumn = { name: 'smoking_status', kind: 'categorical', categories: ['never', 'formerly', 'smokes'] };
 * ```
 */
export interface CategoricalColumn {
  readonly name: string;
  readonly kind: 'categorical';
  /** The categories, in one-hot order. When absent they are learned (sorted) from the training split. */
  readonly categories?: readonly string[];
  /**
   * Missing values become an explicit extra one-hot column named `<name>=<missing>` ('category', default), or
   * the training split's most frequent category ('mode').
   */
  readonly missing?: 'category' | 'mode';
  /** A value outside the categories encodes as all zeros ('zero', default) or is a malformed row ('error'). */
  readonly unseen?: 'zero' | 'error';
}

/**
 * A column that is read but not used as a feature (e.g. a patient id).
 * @example
 * ```ts
 * const id: IgnoredColumn = { name: 'id', kind: 'ignore' };
 * ```
 */
export interface IgnoredColumn {
  readonly name: string;
  readonly kind: 'ignore';
}

/**
 * One column of a tabular schema: numeric, categorical, or ignored.
 * @example
 * ```ts
 * const columns: ColumnSpec[] = [{ name: 'id', kind: 'ignore' }, { name: 'age', kind: 'numeric' }];
 * ```
 */
export type ColumnSpec = NumericColumn | CategoricalColumn | IgnoredColumn;

/**
 * The columns of a CSV file, which one is the label, and how to treat missing values and malformed rows.
 * @example
 * ```ts
 * const schema: TabularSchema = {
 *   columns: [{ name: 'id', kind: 'ignore' }, { name: 'age', kind: 'numeric' }],
 *   label: 'outcome',
 * };
 * ```
 */
export interface TabularSchema {
  /** Every column of the file except the label; a header column absent here (and not the label) is an error. */
  readonly columns: readonly ColumnSpec[];
  /** Name of the label column. */
  readonly label: string;
  /** Label values in class-index order. When absent they are learned from the file (numeric-aware sort). */
  readonly classes?: readonly string[];
  /** For binary tasks: the label value that is class 1 (the other one is class 0). */
  readonly positiveLabel?: string;
  /** Field values (after trimming) that mean "missing". Default: '', 'NA', 'N/A', '?'. */
  readonly missingValues?: readonly string[];
}

export const DEFAULT_MISSING_VALUES: readonly string[] = ['', 'NA', 'N/A', '?'];

export type MalformedRowPolicy = 'error' | 'skip';

/** A row left out of a dataset, and why. */
export interface RowIssue {
  readonly line: number;
  /** The column at fault, when one is. */
  readonly column?: string;
  readonly message: string;
}

/** Feature columns in schema order: numbers (null = missing) or category strings (null = missing). */
export interface DecodedRow {
  readonly line: number;
  readonly values: readonly (number | string | null)[];
  readonly label: string;
}

export type FeatureColumnSpec = NumericColumn | CategoricalColumn;

export function featureColumns(schema: TabularSchema): FeatureColumnSpec[] {
  return schema.columns.filter((c): c is FeatureColumnSpec => c.kind !== 'ignore');
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Collects row issues or throws on the first one, depending on the policy. */
export class IssueLog {
  readonly issues: RowIssue[] = [];
  constructor(
    private readonly source: string,
    private readonly policy: MalformedRowPolicy,
  ) {}

  report(issue: RowIssue): void {
    if (this.policy === 'error') {
      throw new FlotillaError('DATA_INVALID', `${this.source}: line ${issue.line}: ${issue.message}`, {
        source: this.source,
        ...issue,
      });
    }
    this.issues.push(issue);
  }
}

/** Checks the header against the schema and decodes every record; malformed rows go to `log`. */
export function decodeRows(
  table: CsvTable,
  schema: TabularSchema,
  source: string,
  log: IssueLog,
): DecodedRow[] {
  const position = new Map(table.header.map((name, k) => [name, k]));
  const named = new Set<string>([schema.label]);
  for (const column of schema.columns) {
    if (named.has(column.name)) {
      throw new FlotillaError('INVALID_ARGUMENT', `schema names column "${column.name}" twice`);
    }
    named.add(column.name);
    if (!position.has(column.name)) {
      throw new FlotillaError(
        'DATA_INVALID',
        `${source}: header has no column "${column.name}" (schema column)`,
      );
    }
  }
  if (!position.has(schema.label)) {
    throw new FlotillaError('DATA_INVALID', `${source}: header has no label column "${schema.label}"`);
  }
  for (const name of table.header) {
    if (!named.has(name)) {
      throw new FlotillaError(
        'DATA_INVALID',
        `${source}: column "${name}" is not in the schema (add it, with kind 'ignore' if it is unused)`,
      );
    }
  }
  const missing = new Set(schema.missingValues ?? DEFAULT_MISSING_VALUES);
  const columns = featureColumns(schema);
  const labelAt = position.get(schema.label)!;
  const classes = schema.classes ? new Set(schema.classes) : undefined;
  const rows: DecodedRow[] = [];
  for (const record of table.records) {
    const { line, fields } = record;
    if (fields.length !== table.header.length) {
      log.report({ line, message: `expected ${table.header.length} fields, found ${fields.length}` });
      continue;
    }
    const label = fields[labelAt]!.trim();
    if (missing.has(label)) {
      log.report({ line, column: schema.label, message: `label "${schema.label}" is missing` });
      continue;
    }
    if (classes && !classes.has(label)) {
      log.report({
        line,
        column: schema.label,
        message: `label "${label}" is not one of ${[...classes].map((c) => `"${c}"`).join(', ')}`,
      });
      continue;
    }
    const values: (number | string | null)[] = [];
    let bad = false;
    for (const column of columns) {
      const at = position.get(column.name)!;
      const raw = fields[at]!.trim();
      if (missing.has(raw)) {
        values.push(null);
      } else if (column.kind === 'categorical') {
        values.push(raw);
      } else if (NUMBER.test(raw)) {
        values.push(Number(raw));
      } else {
        log.report({
          line,
          column: column.name,
          message: `column "${column.name}" (field ${at + 1}) is numeric but holds "${raw}"`,
        });
        bad = true;
        break;
      }
    }
    if (!bad) rows.push({ line, values, label });
  }
  return rows;
}

/** Label classes: the schema's, or the values seen sorted numerically when all are numbers, else as strings. */
export function resolveClasses(schema: TabularSchema, rows: readonly DecodedRow[], source: string): string[] {
  let classes = schema.classes ? [...schema.classes] : [...new Set(rows.map((r) => r.label))];
  if (!schema.classes) {
    const numeric = classes.every((c) => NUMBER.test(c));
    classes.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  if (schema.positiveLabel !== undefined) {
    const positive = schema.positiveLabel;
    if (!classes.includes(positive)) classes.push(positive);
    if (classes.length !== 2) {
      const values = classes.map((c) => `"${c}"`).join(', ');
      throw new FlotillaError(
        'DATA_INVALID',
        classes.length > 2
          ? `${source}: positiveLabel "${positive}" needs a binary label, but "${schema.label}" has values ${values}`
          : `${source}: only label ${values} appears, so the other class is unknown; list both in the schema's classes`,
      );
    }
    classes = [classes.find((c) => c !== positive)!, positive];
  }
  if (classes.length === 0) throw new FlotillaError('DATA_INVALID', `${source}: no data rows`);
  return classes;
}

/**
 * Width of an encoded row (one value per numeric column, one per category plus the missing-value column unless
 * missing values take the mode), when the schema alone fixes it: undefined when some categorical column learns its
 * categories from the data.
 */
export function encodedWidth(schema: TabularSchema): number | undefined {
  let width = 0;
  for (const column of featureColumns(schema)) {
    if (column.kind === 'numeric') width += 1;
    else if (!column.categories) return undefined;
    else width += column.categories.length + ((column.missing ?? 'category') === 'mode' ? 0 : 1);
  }
  return width;
}

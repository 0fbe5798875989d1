/** Reads and validates the column schema file that `--dataset csv` needs (YAML or JSON). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FlotillaError, arr, obj, oneOf, optional, parse, str } from '../core/index.js';
import type { TabularSchema } from '../data/index.js';

const columnSchema = obj({
  name: str({ minLength: 1 }),
  kind: oneOf(['numeric', 'categorical', 'ignore'] as const),
  impute: optional(oneOf(['mean', 'median'] as const)),
  categories: optional(arr(str())),
  missing: optional(oneOf(['category', 'mode'] as const)),
  unseen: optional(oneOf(['zero', 'error'] as const)),
});

const fileSchema = obj({
  columns: arr(columnSchema, { minLength: 1 }),
  label: str({ minLength: 1 }),
  classes: optional(arr(str())),
  positiveLabel: optional(str()),
  missingValues: optional(arr(str())),
});

export function loadTabularSchemaFile(path: string): TabularSchema {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `cannot read schema file ${path}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  return parse(fileSchema, raw, path, 'CONFIG_INVALID') as TabularSchema;
}

/** Reads and validates the column schema file that `--dataset csv` needs (YAML or JSON). */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FlotillaError, parse } from '../core/index.js';
import { tabularSchemaSpec, type TabularSchema } from '../data/index.js';

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
  return parse(tabularSchemaSpec, raw, path, 'CONFIG_INVALID') as TabularSchema;
}

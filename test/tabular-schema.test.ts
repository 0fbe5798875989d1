/**
 * The README's column schema example is a file the loader accepts and the published JSON Schema
 * (`flotilla config schema tabular`) validates; what the loader refuses, the published schema refuses too. The
 * example is read from the README itself, so the documentation and this test cannot drift apart.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FlotillaError } from '../src/core/index.js';
import { generateStrokeCohort, loadTabularCsv, strokeRecordsToCsv } from '../src/data/index.js';
import { loadTabularSchemaFile } from '../src/sim/tabular-schema-file.js';
import { documentedTabularSchema } from './support/readme.js';

const run = promisify(execFile);
const CLI = new URL('./support/cli.ts', import.meta.url).pathname;

let dir: string;
let validator: z.ZodType;
const documented = parseYaml(documentedTabularSchema()) as Record<string, unknown>;

function writeSchema(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-tabular-schema-'));
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'config', 'schema', 'tabular']);
  const published = JSON.parse(stdout) as Parameters<typeof z.fromJSONSchema>[0] & { title: string };
  expect(published.title).toMatch(/tabular column schema/);
  validator = z.fromJSONSchema(published);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the documented column schema', () => {
  it('is accepted by the loader and by the published JSON Schema', () => {
    const path = join(dir, 'schema.yaml');
    writeFileSync(path, documentedTabularSchema());
    const schema = loadTabularSchemaFile(path);
    expect(schema.label).toBe('stroke');
    expect(new Set(schema.columns.map((c) => c.kind))).toEqual(new Set(['numeric', 'categorical', 'ignore']));
    expect(validator.safeParse(documented).success).toBe(true);
  });

  it('encodes stroke data in the Kaggle layout to the 23 inputs the README counts', () => {
    const path = join(dir, 'schema.yaml');
    writeFileSync(path, documentedTabularSchema());
    const csv = strokeRecordsToCsv(generateStrokeCohort({ size: 2000, seed: 1 }));
    const split = loadTabularCsv(csv, loadTabularSchemaFile(path), { seed: 1 });
    expect(split.train.featureShape).toEqual([23]);
    expect(split.preprocessing.classes).toEqual(['0', '1']);
    expect(split.preprocessing.featureNames).toContain('smoking_status=<missing>');
  });

  it('stops on a malformed row with the line the README shows', () => {
    const path = join(dir, 'schema.yaml');
    writeFileSync(path, documentedTabularSchema());
    const lines = strokeRecordsToCsv(generateStrokeCohort({ size: 40, seed: 2 })).split('\n');
    const fields = lines[17]!.split(',');
    fields[2] = 'abc';
    lines[17] = fields.join(',');
    expect(() =>
      loadTabularCsv(lines.join('\n'), loadTabularSchemaFile(path), { seed: 1, source: 'data.csv' }),
    ).toThrow('data.csv: line 18: column "age" (field 3) is numeric but holds "abc"');
  });
});

describe('a bad column schema', () => {
  const columns = documented.columns as Record<string, unknown>[];
  const cases: [string, unknown, RegExp][] = [
    ['no label', { ...documented, label: undefined }, /label: missing/],
    ['an empty label', { ...documented, label: '' }, /label: expected a string of at least 1/],
    ['no columns', { ...documented, columns: [] }, /columns: expected an array of at least 1 items/],
    ['an unknown key', { ...documented, target: 'stroke' }, /target: unknown key/],
    [
      'an unknown kind',
      { ...documented, columns: [...columns, { name: 'note', kind: 'text' }] },
      /columns\[11\]\.kind: expected one of "numeric", "categorical", "ignore", got "text"/,
    ],
    [
      'a numeric key on a categorical column',
      { ...documented, columns: [{ name: 'gender', kind: 'categorical', impute: 'mean' }] },
      /columns\[0\]\.impute: unknown key/,
    ],
    [
      'a categorical key on an ignored column',
      { ...documented, columns: [{ name: 'id', kind: 'ignore', categories: ['a'] }] },
      /columns\[0\]\.categories: unknown key/,
    ],
    [
      'a bad missing policy',
      { ...documented, columns: [{ name: 'gender', kind: 'categorical', missing: 'drop' }] },
      /columns\[0\]\.missing: expected one of "category", "mode"/,
    ],
    [
      'a column without a name',
      { ...documented, columns: [{ kind: 'numeric' }] },
      /columns\[0\]\.name: missing/,
    ],
    ['classes that are not strings', { ...documented, classes: [0, 1] }, /classes\[0\]: expected a string/],
  ];

  it.each(cases)('%s is refused by the loader and by the published JSON Schema', (name, value, message) => {
    const path = writeSchema(`${name.replace(/\W+/g, '-')}.json`, value);
    let error: unknown;
    try {
      loadTabularSchemaFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlotillaError);
    expect((error as FlotillaError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
    expect(validator.safeParse(JSON.parse(JSON.stringify(value))).success).toBe(false);
  });
});

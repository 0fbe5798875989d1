import { describe, expect, it } from 'vitest';
import { FlotillaError } from '../core/index.js';
import { applyTabularCsv, loadTabularCsv } from './tabular.js';
import type { TabularSchema } from './tabular-schema.js';

const SCHEMA: TabularSchema = {
  columns: [
    { name: 'id', kind: 'ignore' },
    { name: 'age', kind: 'numeric', impute: 'mean' },
    { name: 'city', kind: 'categorical' },
    { name: 'smoker', kind: 'categorical', categories: ['yes', 'no'], missing: 'mode' },
  ],
  label: 'label',
  positiveLabel: 'pos',
};

// BOM, CRLF, a quoted field with a comma, N/A and an empty field.
const CSV =
  '\uFEFFid,age,city,smoker,label\r\n' +
  '1,20,Oslo,yes,pos\r\n' +
  '2,30,"Bergen, west",no,neg\r\n' +
  '3,N/A,Oslo,,neg\r\n' +
  '4,40,Tromsø,no,pos\r\n';

const STD = Math.sqrt(200 / 3); // population std of 20, 30, 40

function errorOf(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    return error as FlotillaError;
  }
  throw new Error('expected an error');
}

function rows(features: Float32Array, width: number): number[][] {
  return Array.from({ length: features.length / width }, (_, i) =>
    Array.from(features.subarray(i * width, (i + 1) * width)),
  );
}

describe('loadTabularCsv', () => {
  const loaded = loadTabularCsv(CSV, SCHEMA, { seed: 1, testFraction: 0, name: 'toy', source: 'toy.csv' });

  it('fits imputation, standardisation and categories on the training rows', () => {
    const prep = loaded.preprocessing;
    expect(prep.classes).toEqual(['neg', 'pos']);
    expect(prep.featureNames).toEqual([
      'age',
      'city=Bergen, west',
      'city=Oslo',
      'city=Tromsø',
      'city=<missing>',
      'smoker=yes',
      'smoker=no',
    ]);
    expect(prep.columns[0]).toEqual({ name: 'age', kind: 'numeric', fill: 30, mean: 30, std: STD });
    expect(prep.columns[2]).toMatchObject({ categories: ['yes', 'no'], fill: 'no', unseen: 'zero' });
    expect(JSON.parse(JSON.stringify(prep))).toEqual(prep);
    expect(loaded.train.size).toBe(4);
    expect(loaded.test.size).toBe(0);
    expect(loaded.train.featureShape).toEqual([7]);
  });

  it('encodes every row with the hand-computed values', () => {
    // Apply to the same text to get the rows in file order (the split shuffles them).
    const { dataset } = applyTabularCsv(CSV, loaded.preprocessing);
    const z = 10 / STD;
    const expected = [
      [-z, 0, 1, 0, 0, 1, 0],
      [0, 1, 0, 0, 0, 0, 1],
      [0, 0, 1, 0, 0, 0, 1], // age imputed with the mean, smoker with the mode
      [z, 0, 0, 1, 0, 0, 1],
    ];
    rows(dataset.features, 7).forEach((row, i) =>
      row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 6)),
    );
    expect(Array.from(dataset.labels)).toEqual([1, 0, 0, 1]);
    const shuffled = rows(loaded.train.features, 7).map((r) => r.join());
    expect(shuffled.sort()).toEqual(
      rows(dataset.features, 7)
        .map((r) => r.join())
        .sort(),
    );
  });

  it('encodes another file with the same statistics: unseen category as zeros, missing as its own column', () => {
    const other = 'id,age,city,smoker,label\n9,50,Paris,yes,neg\n10,?,NA,no,pos\n';
    const { dataset } = applyTabularCsv(other, loaded.preprocessing);
    const [a, b] = rows(dataset.features, 7);
    expect(a![0]).toBeCloseTo(20 / STD, 6);
    expect(a!.slice(1)).toEqual([0, 0, 0, 0, 1, 0]);
    expect(b).toEqual([0, 0, 0, 0, 1, 0, 1]);
  });

  it('uses only training rows for the statistics', () => {
    const lines = ['id,age,city,smoker,label'];
    for (let i = 1; i <= 10; i++) lines.push(`${i},${i * i},Oslo,no,${i % 2 ? 'pos' : 'neg'}`);
    const split = loadTabularCsv(lines.join('\n'), SCHEMA, { seed: 3, testFraction: 0.4 });
    expect([split.train.size, split.test.size]).toEqual([6, 4]);
    const { mean, std } = split.preprocessing.columns[0] as { mean: number; std: number };
    const width = split.train.featureShape[0]!;
    const raw = (ds: typeof split.train) =>
      Array.from({ length: ds.size }, (_, i) => ds.features[i * width]! * std + mean);
    const trainAges = raw(split.train);
    expect(mean).toBeCloseTo(trainAges.reduce((a, b) => a + b, 0) / 6, 4);
    expect(mean).not.toBeCloseTo(38.5, 1); // the mean of all ten ages
    const all = [...trainAges, ...raw(split.test)].map(Math.round).sort((a, b) => a - b);
    expect(all).toEqual([1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
    // stratified: 3 + 2 of each class in train + test
    expect(Array.from(split.test.labels).sort()).toEqual([0, 0, 1, 1]);
  });

  it('is deterministic by seed', () => {
    const a = loadTabularCsv(CSV, SCHEMA, { seed: 5, testFraction: 0.5 });
    const b = loadTabularCsv(CSV, SCHEMA, { seed: 5, testFraction: 0.5 });
    expect(a.train.features).toEqual(b.train.features);
  });
});

describe('malformed input', () => {
  const BROKEN =
    'id,age,city,smoker,label\n1,20,Oslo,yes,pos\n2,abc,Oslo,no,neg\n\n3,30,Oslo\n4,31,Oslo,no,\n5,33,Oslo,no,neg\n';

  it('throws DATA_INVALID with the 1-based line of the first bad row', () => {
    const error = errorOf(() => loadTabularCsv(BROKEN, SCHEMA, { seed: 1, source: 'h1.csv' }));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toBe('h1.csv: line 3: column "age" (field 2) is numeric but holds "abc"');
    expect(error.details).toMatchObject({ line: 3, column: 'age' });
  });

  it('collects bad rows instead with onMalformedRow: skip', () => {
    const loaded = loadTabularCsv(BROKEN, SCHEMA, { seed: 1, testFraction: 0, onMalformedRow: 'skip' });
    expect(loaded.train.size).toBe(2);
    expect(loaded.issues).toEqual([
      { line: 3, column: 'age', message: 'column "age" (field 2) is numeric but holds "abc"' },
      { line: 5, message: 'expected 5 fields, found 3' },
      { line: 6, column: 'label', message: 'label "label" is missing' },
    ]);
  });

  it('rejects headers that do not match the schema', () => {
    expect(
      errorOf(() => loadTabularCsv('id,age,city,label\n', SCHEMA, { seed: 1, source: 'a.csv' })).message,
    ).toBe('a.csv: header has no column "smoker" (schema column)');
    expect(
      errorOf(() => loadTabularCsv('id,age,city,smoker,label,extra\n', SCHEMA, { seed: 1, source: 'a.csv' }))
        .message,
    ).toBe(`a.csv: column "extra" is not in the schema (add it, with kind 'ignore' if it is unused)`);
  });

  it('rejects unknown labels, non-binary positive labels and unseen categories under unseen: error', () => {
    const strict: TabularSchema = {
      ...SCHEMA,
      columns: [
        { name: 'id', kind: 'ignore' },
        { name: 'age', kind: 'numeric' },
        { name: 'city', kind: 'categorical', categories: ['Oslo'], unseen: 'error' },
        { name: 'smoker', kind: 'categorical' },
      ],
      classes: ['neg', 'pos'],
    };
    expect(errorOf(() => loadTabularCsv(`${CSV}5,1,Oslo,no,maybe\n`, strict, { seed: 1 })).message).toBe(
      'CSV: line 6: label "maybe" is not one of "neg", "pos"',
    );
    expect(errorOf(() => loadTabularCsv(CSV, strict, { seed: 1, testFraction: 0 })).message).toMatch(
      /^CSV: line (3|5): column "city" has category "(Bergen, west|Tromsø)", not one of 1 known$/,
    );
    const three = `${CSV}5,1,Oslo,no,maybe\n`;
    expect(errorOf(() => loadTabularCsv(three, SCHEMA, { seed: 1 })).message).toBe(
      'CSV: positiveLabel "pos" needs a binary label, but "label" has values "maybe", "neg", "pos"',
    );
  });

  it('cannot name the negative class when only the positive one appears', () => {
    expect(
      errorOf(() => loadTabularCsv('id,age,city,smoker,label\n1,2,Oslo,no,pos\n', SCHEMA, { seed: 1 }))
        .message,
    ).toBe(`CSV: only label "pos" appears, so the other class is unknown; list both in the schema's classes`);
  });

  it('treats a constant column as zeros and uses custom missing tokens', () => {
    const schema: TabularSchema = {
      columns: [{ name: 'x', kind: 'numeric' }],
      label: 'y',
      missingValues: ['-'],
    };
    const { train, preprocessing } = loadTabularCsv('x,y\n5,1\n5,0\n-,1\n', schema, {
      seed: 1,
      testFraction: 0,
    });
    expect(preprocessing.columns[0]).toMatchObject({ mean: 5, std: 1, fill: 5 });
    expect(Array.from(train.features)).toEqual([0, 0, 0]);
    expect(errorOf(() => loadTabularCsv('x,y\nNA,1\n', schema, { seed: 1 })).message).toMatch(/holds "NA"/);
  });
});

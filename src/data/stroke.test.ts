import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlotillaError } from '../core/index.js';
import { loadStrokeCsv, writeStrokeCsv } from './csv-files.js';
import { parseStrokeCsv, strokeRecordsToCsv } from './stroke.js';
import { STROKE_PROFILES, generateStrokeCohort } from './stroke-cohort.js';

// Rows in the layout of the Kaggle file, including its `N/A` bmi and CRLF line ends.
const KAGGLE_SAMPLE = [
  'id,gender,age,hypertension,heart_disease,ever_married,work_type,Residence_type,avg_glucose_level,bmi,smoking_status,stroke',
  '9046,Male,67,0,1,Yes,Private,Urban,228.69,36.6,formerly smoked,1',
  '51676,Female,61,0,0,Yes,Self-employed,Rural,202.21,N/A,never smoked,1',
  '31112,Male,80,0,1,Yes,Private,Rural,105.92,32.5,never smoked,1',
  '60182,Female,49,0,0,Yes,Private,Urban,171.23,34.4,smokes,1',
  '1665,Female,79,1,0,Yes,Self-employed,Rural,174.12,24,never smoked,1',
  '56669,Male,81,0,0,Yes,Private,Urban,186.21,29,formerly smoked,1',
  '53882,Male,74,1,1,Yes,Private,Rural,70.09,27.4,never smoked,1',
  '10434,Female,69,0,0,No,Private,Urban,94.39,22.8,never smoked,1',
  '27419,Female,59,0,0,Yes,Private,Rural,76.15,N/A,Unknown,1',
  '60491,Female,78,0,0,Yes,Private,Urban,58.57,24.2,Unknown,1',
  '30669,Male,3,0,0,No,children,Rural,95.12,18,Unknown,0',
  '30468,Male,58,1,0,Yes,Private,Urban,87.96,39.2,never smoked,0',
  '16523,Female,8,0,0,No,Private,Urban,110.89,17.6,Unknown,0',
  '56543,Female,70,0,0,Yes,Private,Rural,69.04,35.9,formerly smoked,0',
  '46136,Male,14,0,0,No,Never_worked,Rural,161.28,19.1,Unknown,0',
  '32257,Female,47,0,0,Yes,Private,Urban,210.95,50.1,Unknown,0',
  '52800,Female,52,0,0,Yes,Private,Urban,77.59,17.7,formerly smoked,0',
  '41413,Female,75,0,1,Yes,Self-employed,Rural,243.53,27,never smoked,0',
  '15266,Female,32,0,0,Yes,Private,Rural,77.67,32.3,smokes,0',
  '28674,Female,74,1,0,Yes,Self-employed,Urban,205.84,54.6,never smoked,0',
].join('\r\n');

async function rejection(promise: Promise<unknown>): Promise<FlotillaError> {
  try {
    await promise;
  } catch (error) {
    return error as FlotillaError;
  }
  throw new Error('expected a rejection');
}

/** Area under the ROC curve of `score` for the binary `label` (ties count one half). */
function auc(score: number[], label: number[]): number {
  let pairs = 0;
  let wins = 0;
  for (let i = 0; i < score.length; i++) {
    if (label[i] !== 1) continue;
    for (let j = 0; j < score.length; j++) {
      if (label[j] !== 0) continue;
      pairs++;
      wins += score[i]! > score[j]! ? 1 : score[i] === score[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('STROKE_SCHEMA', () => {
  it('loads Kaggle-format rows into 21 features with a binary label', async () => {
    const split = await loadStrokeCsv({ text: KAGGLE_SAMPLE }, { seed: 1, testFraction: 0.2 });
    expect([split.train.size, split.test.size]).toEqual([16, 4]);
    expect(Array.from(split.test.labels).sort()).toEqual([0, 0, 1, 1]);
    expect(split.train.numClasses).toBe(2);
    expect(split.train.featureShape).toEqual([21]);
    expect(split.preprocessing.featureNames.slice(0, 6)).toEqual([
      'gender=Male',
      'gender=Female',
      'gender=Other',
      'age',
      'hypertension',
      'heart_disease',
    ]);
    // bmi is N/A twice: imputed, not dropped
    expect(split.issues).toEqual([]);
    const bmi = split.preprocessing.columns.find((c) => c.name === 'bmi');
    expect(bmi?.kind === 'numeric' && bmi.fill > 17 && bmi.fill < 55).toBe(true);
  });

  it('rejects an unknown category with its line', () => {
    const bad = KAGGLE_SAMPLE.replace('Male,3,0,0,No,children', 'Male,3,0,0,No,kids');
    expect(() => parseStrokeCsv(bad, { seed: 1, testFraction: 0, source: 'h.csv' })).toThrow(
      'h.csv: line 12: column "work_type" has category "kids", not one of 5 known',
    );
  });

  it('reports a missing file as DATA_NOT_FOUND', async () => {
    const error = await rejection(loadStrokeCsv({ path: '/nonexistent/stroke.csv' }, { seed: 1 }));
    expect(error.code).toBe('DATA_NOT_FOUND');
    expect(error.message).toContain('/nonexistent/stroke.csv');
  });
});

describe('generateStrokeCohort', () => {
  const N = 30_000;
  const cohorts = {
    general: generateStrokeCohort({ size: N, seed: 11, profile: 'general' }),
    'elderly-urban': generateStrokeCohort({ size: N, seed: 11, profile: 'elderly-urban' }),
    'young-professionals': generateStrokeCohort({ size: N, seed: 11, profile: 'young-professionals' }),
    'rural-mixed': generateStrokeCohort({ size: N, seed: 11, profile: 'rural-mixed' }),
  };
  const share = <T>(rows: readonly T[], test: (r: T) => boolean) => rows.filter(test).length / rows.length;

  it.each([
    ['general', 0.007],
    ['elderly-urban', 0.012],
    ['young-professionals', 0.005],
    ['rural-mixed', 0.007],
  ] as const)('gives %s its calibrated stroke prevalence', (profile, tolerance) => {
    const expected = STROKE_PROFILES[profile].expectedPrevalence;
    expect(Math.abs(share(cohorts[profile], (r) => r.stroke === 1) - expected)).toBeLessThan(tolerance);
  });

  it('has the marginals of the Kaggle data', () => {
    const g = cohorts.general;
    expect(share(g, (r) => r.bmi === null)).toBeGreaterThan(0.03);
    expect(share(g, (r) => r.bmi === null)).toBeLessThan(0.05);
    const bmis = g.flatMap((r) => (r.bmi === null ? [] : [r.bmi]));
    const meanBmi = bmis.reduce((a, b) => a + b, 0) / bmis.length;
    expect(meanBmi).toBeGreaterThan(26);
    expect(meanBmi).toBeLessThan(31);
    expect(share(g, (r) => r.gender === 'Female')).toBeCloseTo(0.586, 1);
    expect(g.every((r) => r.age < 16 === (r.work_type === 'children'))).toBe(true);
    expect(g.every((r) => r.age >= 0.08 && r.age <= 82)).toBe(true);
    expect(g.every((r) => r.avg_glucose_level >= 55 && r.avg_glucose_level <= 272)).toBe(true);
    expect(share(cohorts['elderly-urban'], (r) => r.Residence_type === 'Urban')).toBeGreaterThan(0.8);
    expect(share(cohorts['rural-mixed'], (r) => r.Residence_type === 'Rural')).toBeGreaterThan(0.75);
    const adults = cohorts['young-professionals'].filter((r) => r.age >= 22);
    expect(share(adults, (r) => r.work_type === 'Private' || r.work_type === 'Govt_job')).toBeGreaterThan(
      0.9,
    );
    const young = cohorts['young-professionals'];
    expect(share(young, (r) => r.age >= 20 && r.age < 50)).toBeGreaterThan(0.7);
  });

  it('makes risk factors rise with age', () => {
    const g = cohorts.general;
    const under40 = g.filter((r) => r.age < 40);
    const over70 = g.filter((r) => r.age >= 70);
    expect(share(over70, (r) => r.stroke === 1)).toBeGreaterThan(20 * share(under40, (r) => r.stroke === 1));
    expect(share(over70, (r) => r.hypertension === 1)).toBeGreaterThan(
      4 * share(under40, (r) => r.hypertension === 1),
    );
    expect(share(over70, (r) => r.heart_disease === 1)).toBeGreaterThan(
      5 * share(under40, (r) => r.heart_disease === 1),
    );
    const children = g.filter((r) => r.age < 13);
    expect(share(children, (r) => r.smoking_status === 'Unknown')).toBeGreaterThan(0.85);
    const edges = [0, 30, 45, 60, 70, 83];
    const bands = edges.slice(1).map((hi, k) =>
      share(
        g.filter((r) => r.age >= edges[k]! && r.age < hi),
        (r) => r.stroke === 1,
      ),
    );
    bands.slice(1).forEach((rate, k) => expect(rate).toBeGreaterThan(bands[k]!));
  });

  it('makes age alone predictive (AUC) and the other risk factors add to it', () => {
    const sample = cohorts.general.slice(0, 6000);
    const labels = sample.map((r) => r.stroke);
    const ageAuc = auc(
      sample.map((r) => r.age),
      labels,
    );
    expect(ageAuc).toBeGreaterThan(0.8);
    const glucoseAuc = auc(
      sample.map((r) => r.avg_glucose_level),
      labels,
    );
    expect(glucoseAuc).toBeGreaterThan(0.55);
    expect(glucoseAuc).toBeLessThan(ageAuc);
  });

  it('is deterministic by seed and profile', () => {
    const a = generateStrokeCohort({ size: 200, seed: 4, profile: 'rural-mixed' });
    expect(generateStrokeCohort({ size: 200, seed: 4, profile: 'rural-mixed' })).toEqual(a);
    expect(generateStrokeCohort({ size: 200, seed: 5, profile: 'rural-mixed' })).not.toEqual(a);
    expect(generateStrokeCohort({ size: 200, seed: 4 })).not.toEqual(a);
    expect(() => generateStrokeCohort({ size: 10, seed: 1, profile: 'nope' as 'general' })).toThrow(
      'unknown stroke profile "nope" (known: general, elderly-urban, young-professionals, rural-mixed)',
    );
  });

  it('writes a CSV that the real loader reads back', async () => {
    const records = generateStrokeCohort({ size: 2000, seed: 9, profile: 'elderly-urban' });
    const text = strokeRecordsToCsv(records);
    expect(text.split('\n')[0]).toBe(KAGGLE_SAMPLE.split('\r\n')[0]);
    expect(text).toContain(',N/A,');
    const path = join(await mkdtemp(join(tmpdir(), 'flotilla-stroke-')), 'hospital-a', 'stroke.csv');
    await writeStrokeCsv(path, records);
    const split = await loadStrokeCsv({ path }, { seed: 1, testFraction: 0.25 });
    expect(split.train.size + split.test.size).toBe(2000);
    const positives = records.filter((r) => r.stroke === 1).length;
    let loaded = 0;
    for (const y of [...split.train.labels, ...split.test.labels]) loaded += y;
    expect(loaded).toBe(positives);
  });
});

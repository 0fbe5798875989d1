/**
 * The stroke-prediction table of the public Kaggle "Stroke Prediction Dataset" (fedesoriano, 5,110 patients,
 * about 4.9% with a stroke): its column schema, record type and CSV encoding. Pure and browser-safe; the
 * synthetic cohorts (stroke-cohort.ts) and the real file use the same schema, so both go through the same loader.
 */
import { formatCsv } from './csv.js';
import { loadTabularCsv, type TabularLoadOptions, type TabularSplit } from './tabular.js';
import type { TabularSchema } from './tabular-schema.js';

export const GENDERS = ['Male', 'Female', 'Other'] as const;
export const WORK_TYPES = ['Private', 'Self-employed', 'Govt_job', 'children', 'Never_worked'] as const;
export const RESIDENCE_TYPES = ['Urban', 'Rural'] as const;
export const SMOKING_STATUSES = ['formerly smoked', 'never smoked', 'smokes', 'Unknown'] as const;

export interface StrokeRecord {
  readonly id: number;
  readonly gender: (typeof GENDERS)[number];
  /** Years; fractional (two decimals) under 2, as in the Kaggle file. */
  readonly age: number;
  readonly hypertension: 0 | 1;
  readonly heart_disease: 0 | 1;
  readonly ever_married: 'Yes' | 'No';
  readonly work_type: (typeof WORK_TYPES)[number];
  readonly Residence_type: (typeof RESIDENCE_TYPES)[number];
  readonly avg_glucose_level: number;
  /** Missing values are written as `N/A`, as in the Kaggle file. */
  readonly bmi: number | null;
  readonly smoking_status: (typeof SMOKING_STATUSES)[number];
  readonly stroke: 0 | 1;
}

/** Column order of the Kaggle file. */
export const STROKE_COLUMNS = [
  'id',
  'gender',
  'age',
  'hypertension',
  'heart_disease',
  'ever_married',
  'work_type',
  'Residence_type',
  'avg_glucose_level',
  'bmi',
  'smoking_status',
  'stroke',
] as const;

/**
 * Categories are fixed (not learned) so every hospital encodes the same feature vector even when a category is
 * absent locally; an unknown category is an error because it means a typo or a different file version.
 * @example
 * ```ts
 * const { train, test } = await loadTabularCsvFile('stroke.csv', STROKE_SCHEMA, { seed: 1 });
 * ```
 */
export const STROKE_SCHEMA: TabularSchema = {
  columns: [
    { name: 'id', kind: 'ignore' },
    { name: 'gender', kind: 'categorical', categories: GENDERS, missing: 'mode', unseen: 'error' },
    { name: 'age', kind: 'numeric' },
    { name: 'hypertension', kind: 'numeric' },
    { name: 'heart_disease', kind: 'numeric' },
    {
      name: 'ever_married',
      kind: 'categorical',
      categories: ['Yes', 'No'],
      missing: 'mode',
      unseen: 'error',
    },
    { name: 'work_type', kind: 'categorical', categories: WORK_TYPES, missing: 'mode', unseen: 'error' },
    {
      name: 'Residence_type',
      kind: 'categorical',
      categories: RESIDENCE_TYPES,
      missing: 'mode',
      unseen: 'error',
    },
    { name: 'avg_glucose_level', kind: 'numeric' },
    { name: 'bmi', kind: 'numeric', impute: 'median' },
    {
      name: 'smoking_status',
      kind: 'categorical',
      categories: SMOKING_STATUSES,
      missing: 'mode',
      unseen: 'error',
    },
  ],
  label: 'stroke',
  classes: ['0', '1'],
  positiveLabel: '1',
};

/**
 * Encodes records as CSV text in the Kaggle file's layout.
 * @example
 * ```ts
 * const csv = strokeRecordsToCsv(generateStrokeCohort({ size: 2000, seed: 1, profile: 'elderly-urban' }));
 * const { train, test } = await loadStrokeCsv({ text: csv }, { seed: 1 });
 * ```
 */
export function strokeRecordsToCsv(records: readonly StrokeRecord[]): string {
  return formatCsv(
    STROKE_COLUMNS,
    records.map((r) => STROKE_COLUMNS.map((c) => (r[c] === null ? 'N/A' : String(r[c])))),
  );
}

/** Loads stroke CSV text (the Kaggle file or a generated cohort) with STROKE_SCHEMA. */
export function parseStrokeCsv(text: string, options: TabularLoadOptions): TabularSplit {
  return loadTabularCsv(text, STROKE_SCHEMA, { name: 'stroke', ...options });
}

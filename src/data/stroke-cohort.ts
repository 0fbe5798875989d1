/**
 * Synthetic stroke cohorts in the Kaggle stroke table's schema, for federations of hospitals that serve different
 * populations. Each patient is drawn in causal order: age (from the hospital profile), then sex, residence,
 * marriage and work (age-dependent), smoking (age-dependent), bmi, a latent diabetes-like state, glucose,
 * hypertension and heart disease (rising with age and bmi), and finally a stroke from one logistic risk model shared by
 * all profiles. Hospitals therefore differ in who their patients are (covariate shift), not in how risk works,
 * and a profile's stroke rate follows from its age mix. Marginals are modelled on the Kaggle file (female 59%,
 * bmi 29 +/- 7 with ~4% missing, glucose bimodal around 90 and 200, work type 'children' under 16, smoking
 * 'Unknown' mostly for children); the coefficients below were calibrated by simulation so that the profiles give
 * the stroke rates listed in STROKE_PROFILES (checked by stroke-cohort.test.ts). Pure and browser-safe.
 */
import { FlotillaError, Rng } from '../core/index.js';
import type { StrokeRecord } from './stroke.js';

type Weighted<T> = readonly (readonly [T, number])[];

export interface StrokeProfile {
  readonly name: string;
  readonly description: string;
  /** Target share of patients with a stroke that the profile was calibrated to. */
  readonly expectedPrevalence: number;
  /** Age mixture: [from, to) in years, and the weight of that band (ages are uniform inside a band). */
  readonly ageBands: Weighted<readonly [number, number]>;
  readonly urbanShare: number;
  /** Job mix of working-age adults (22 and over). */
  readonly adultWork: Weighted<'Private' | 'Self-employed' | 'Govt_job'>;
}

export const STROKE_PROFILES = {
  general: {
    name: 'general',
    description: 'the Kaggle population: all ages, half urban',
    expectedPrevalence: 0.049,
    ageBands: [
      [[0, 16], 0.15],
      [[16, 40], 0.28],
      [[40, 60], 0.3],
      [[60, 83], 0.27],
    ],
    urbanShare: 0.51,
    adultWork: [
      ['Private', 0.66],
      ['Self-employed', 0.18],
      ['Govt_job', 0.16],
    ],
  },
  'elderly-urban': {
    name: 'elderly-urban',
    description: 'a city geriatric hospital: mostly over 60, mostly urban',
    expectedPrevalence: 0.12,
    ageBands: [
      [[0, 16], 0.02],
      [[16, 40], 0.05],
      [[40, 60], 0.17],
      [[60, 70], 0.3],
      [[70, 83], 0.46],
    ],
    urbanShare: 0.85,
    adultWork: [
      ['Private', 0.55],
      ['Self-employed', 0.27],
      ['Govt_job', 0.18],
    ],
  },
  'young-professionals': {
    name: 'young-professionals',
    description: 'an occupational clinic: mostly aged 20-50 in private or government jobs',
    expectedPrevalence: 0.02,
    ageBands: [
      [[16, 20], 0.04],
      [[20, 35], 0.37],
      [[35, 50], 0.4],
      [[50, 65], 0.16],
      [[65, 83], 0.03],
    ],
    urbanShare: 0.7,
    adultWork: [
      ['Private', 0.72],
      ['Self-employed', 0.05],
      ['Govt_job', 0.23],
    ],
  },
  'rural-mixed': {
    name: 'rural-mixed',
    description: 'a rural district hospital: all ages, mostly rural, more self-employed',
    expectedPrevalence: 0.05,
    ageBands: [
      [[0, 16], 0.16],
      [[16, 40], 0.26],
      [[40, 60], 0.3],
      [[60, 83], 0.28],
    ],
    urbanShare: 0.2,
    adultWork: [
      ['Private', 0.5],
      ['Self-employed', 0.32],
      ['Govt_job', 0.18],
    ],
  },
} as const satisfies Record<string, StrokeProfile>;

export type StrokeProfileName = keyof typeof STROKE_PROFILES;

export interface StrokeCohortOptions {
  readonly size: number;
  readonly seed: number;
  /** A named profile or a custom one (default 'general'). */
  readonly profile?: StrokeProfileName | StrokeProfile;
}

/** Intercept of the stroke model, calibrated so the 'general' profile gives 4.9% strokes. */
const STROKE_INTERCEPT = -7.7;

/**
 * Log-odds of a stroke. Age dominates (about x2.1 odds per decade, so strokes under 40 are rare), then
 * hypertension, heart disease, high glucose and smoking, in line with logistic fits to the Kaggle data.
 */
export function strokeLogOdds(p: {
  age: number;
  hypertension: number;
  heart_disease: number;
  avg_glucose_level: number;
  smoking_status: string;
}): number {
  return (
    STROKE_INTERCEPT +
    0.075 * p.age +
    0.6 * p.hypertension +
    0.5 * p.heart_disease +
    0.006 * (p.avg_glucose_level - 100) +
    (p.smoking_status === 'smokes' ? 0.35 : p.smoking_status === 'formerly smoked' ? 0.15 : 0)
  );
}

/**
 * Synthetic stroke patients in the Kaggle file's layout, drawn from a named (or custom) profile with a seed.
 * @example
 * ```ts
 * const records = generateStrokeCohort({ size: 1500, seed: 7, profile: 'young-professionals' });
 * ```
 */
export function generateStrokeCohort(options: StrokeCohortOptions): StrokeRecord[] {
  const { size, seed } = options;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new FlotillaError('INVALID_ARGUMENT', `cohort size must be a non-negative integer, got ${size}`);
  }
  const profile = resolveProfile(options.profile ?? 'general');
  const rng = new Rng(seed).split('stroke-cohort', profile.name);
  const records: StrokeRecord[] = [];
  for (let i = 0; i < size; i++) records.push(drawPatient(rng, profile, i + 1));
  return records;
}

function resolveProfile(profile: StrokeProfileName | StrokeProfile): StrokeProfile {
  if (typeof profile !== 'string') return profile;
  const found = (STROKE_PROFILES as Record<string, StrokeProfile>)[profile];
  if (found === undefined) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `unknown stroke profile "${profile}" (known: ${Object.keys(STROKE_PROFILES).join(', ')})`,
    );
  }
  return found;
}

function drawPatient(rng: Rng, profile: StrokeProfile, id: number): StrokeRecord {
  const [from, to] = pick(rng, profile.ageBands);
  const rawAge = Math.min(82, from + rng.next() * (to - from));
  // The Kaggle file gives ages under 2 in fractions of a year and whole years above.
  const age = rawAge < 2 ? Math.max(0.08, round(rawAge, 2)) : Math.floor(rawAge);
  const gender = pick(rng, [
    ['Female', 0.586],
    ['Male', 0.413],
    ['Other', 0.001],
  ] as const);
  const Residence_type = rng.next() < profile.urbanShare ? 'Urban' : 'Rural';
  const ever_married = age >= 18 && rng.next() < 0.92 * sigmoid((age - 27) / 4) ? 'Yes' : 'No';
  const work_type =
    age < 16
      ? 'children'
      : age < 22
        ? pick(rng, [
            ['Private', 0.75],
            ['Govt_job', 0.12],
            ['Never_worked', 0.08],
            ['Self-employed', 0.05],
          ] as const)
        : rng.next() < 0.002
          ? 'Never_worked'
          : pick(
              rng,
              // Self-employment is more common among older patients (farmers, shop owners, retirees).
              profile.adultWork.map(
                ([w, p]) => [w, w === 'Self-employed' && age >= 65 ? 2.5 * p : p] as const,
              ),
            );
  const smoking_status = drawSmoking(rng, age);
  const trueBmi =
    age < 18 ? clamp(16 + 0.45 * age + 3.5 * rng.normal(), 12, 40) : clamp(29.8 + 6.8 * rng.normal(), 15, 80);
  const diabetic = rng.next() < sigmoid(-4.6 + 0.045 * age + 0.07 * (trueBmi - 28));
  const glucose = diabetic
    ? clamp(200 + 35 * rng.normal(), 120, 271.74)
    : clamp(85 + 0.2 * age + 17 * rng.normal(), 55.12, 160);
  const hypertension = bernoulli(rng, sigmoid(-5.6 + 0.06 * age + 0.05 * (trueBmi - 28)));
  const heart_disease = bernoulli(
    rng,
    sigmoid(-7.7 + 0.08 * age + (gender === 'Male' ? 0.5 : 0) + (smoking_status === 'smokes' ? 0.4 : 0)),
  );
  const avg_glucose_level = round(glucose, 2);
  const stroke = bernoulli(
    rng,
    sigmoid(strokeLogOdds({ age, hypertension, heart_disease, avg_glucose_level, smoking_status })),
  );
  const bmi = rng.next() < 0.04 ? null : round(trueBmi, 1);
  return {
    id,
    gender,
    age,
    hypertension,
    heart_disease,
    ever_married,
    work_type,
    Residence_type,
    avg_glucose_level,
    bmi,
    smoking_status,
    stroke,
  };
}

/** Smoking by age: children are mostly 'Unknown'; adults smoke less and have quit more as they age. */
function drawSmoking(rng: Rng, age: number): StrokeRecord['smoking_status'] {
  if (age < 13)
    return pick(rng, [
      ['Unknown', 0.92],
      ['never smoked', 0.08],
    ] as const);
  if (age < 18)
    return pick(rng, [
      ['Unknown', 0.5],
      ['never smoked', 0.38],
      ['smokes', 0.07],
      ['formerly smoked', 0.05],
    ] as const);
  const t = (age - 18) / 64;
  const smokes = 0.2 - 0.1 * t;
  const formerly = 0.08 + 0.17 * t;
  return pick(rng, [
    ['Unknown', 0.22],
    ['smokes', smokes],
    ['formerly smoked', formerly],
    ['never smoked', 0.78 - smokes - formerly],
  ] as const);
}

function pick<T>(rng: Rng, options: Weighted<T>): T {
  const total = options.reduce((a, [, w]) => a + w, 0);
  let u = rng.next() * total;
  for (const [value, weight] of options) {
    u -= weight;
    if (u < 0) return value;
  }
  return options[options.length - 1]![0];
}

function bernoulli(rng: Rng, p: number): 0 | 1 {
  return rng.next() < p ? 1 : 0;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

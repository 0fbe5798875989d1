import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/errors.js';
import {
  accuracy,
  aucRoc,
  averagePrecision,
  binaryConfusion,
  binaryMetrics,
  constantAccuracy,
  f1,
  majorityClass,
  precision,
  prevalence,
  recall,
} from './metrics.js';

// The example from scikit-learn's documentation of roc_auc_score / average_precision_score:
// roc_auc_score = 0.75 and average_precision_score = 0.8333...
const SK_SCORES = [0.1, 0.4, 0.35, 0.8];
const SK_LABELS = [0, 0, 1, 1];

describe('accuracy', () => {
  it('counts exact matches', () => {
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
  });
  it('is NaN for no examples and rejects mismatched lengths', () => {
    expect(accuracy([], [])).toBeNaN();
    expect(() => accuracy([1], [1, 0])).toThrow(/1 predictions but 2 labels/);
  });
});

describe('confusion, precision, recall, F1', () => {
  it('thresholds at >= 0.5 by default', () => {
    // Only 0.8 is predicted positive: tp=1 (0.8), fn=1 (0.35), tn=2.
    const c = binaryConfusion(SK_SCORES, SK_LABELS);
    expect(c).toEqual({ tp: 1, fp: 0, tn: 2, fn: 1 });
    expect(precision(c)).toBe(1);
    expect(recall(c)).toBe(0.5);
    expect(f1(c)).toBeCloseTo(2 / 3, 12); // 2PR/(P+R) = 2*0.5/1.5
    expect(binaryConfusion([0.5], [0])).toEqual({ tp: 0, fp: 1, tn: 0, fn: 0 });
    expect(binaryConfusion(SK_SCORES, SK_LABELS, 0.3)).toEqual({ tp: 2, fp: 1, tn: 1, fn: 0 });
  });
  it('returns 0, not NaN, for zero denominators', () => {
    const none = binaryConfusion([0.1, 0.2], [0, 0]);
    expect(precision(none)).toBe(0);
    expect(recall(none)).toBe(0);
    expect(f1(none)).toBe(0);
  });
});

describe('aucRoc', () => {
  it('matches the scikit-learn documentation example', () => {
    expect(aucRoc(SK_SCORES, SK_LABELS)).toBeCloseTo(0.75, 12);
  });
  it('counts ties as one half (average ranks)', () => {
    // Positives {0.5, 0.5}, negatives {0.5, 0.2}: pairs vs 0.5 tie (2 x 1/2), vs 0.2 win (2 x 1) -> 3/4.
    expect(aucRoc([0.5, 0.5, 0.5, 0.2], [1, 0, 1, 0])).toBeCloseTo(0.75, 12);
    // Everything tied: 1/2.
    expect(aucRoc([0.3, 0.3, 0.3], [1, 0, 0])).toBe(0.5);
  });
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(aucRoc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(aucRoc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });
  it('is NaN with one class only or with NaN scores', () => {
    expect(aucRoc([0.1, 0.9], [0, 0])).toBeNaN();
    expect(aucRoc([0.1, 0.9], [1, 1])).toBeNaN();
    expect(aucRoc([], [])).toBeNaN();
    expect(aucRoc([NaN, 0.9], [0, 1])).toBeNaN();
  });
});

describe('averagePrecision', () => {
  it('matches the scikit-learn documentation example', () => {
    // Thresholds 0.8: R=.5 P=1; 0.4: R=.5; 0.35: R=1 P=2/3 -> .5*1 + .5*2/3.
    expect(averagePrecision(SK_SCORES, SK_LABELS)).toBeCloseTo(0.5 + 1 / 3, 12);
  });
  it('treats tied scores as one threshold', () => {
    // Threshold 0.5 takes 2 positives and 1 negative at once: R=1, P=2/3.
    expect(averagePrecision([0.5, 0.5, 0.5, 0.2], [1, 0, 1, 0])).toBeCloseTo(2 / 3, 12);
    // Order of the tied group must not matter.
    expect(averagePrecision([0.5, 0.5, 0.5, 0.2], [0, 1, 1, 0])).toBeCloseTo(2 / 3, 12);
    // Threshold 0.9: R=.5 P=.5; threshold 0.1: R=1 P=2/3 -> .25 + 1/3.
    expect(averagePrecision([0.9, 0.9, 0.1], [1, 0, 1])).toBeCloseTo(0.25 + 1 / 3, 12);
  });
  it('is 1 when all examples are positive and NaN when none is', () => {
    expect(averagePrecision([0.2, 0.7], [1, 1])).toBe(1);
    expect(averagePrecision([0.2, 0.7], [0, 0])).toBeNaN();
    expect(averagePrecision([0.2, NaN], [0, 1])).toBeNaN();
  });
});

describe('binaryMetrics', () => {
  it('bundles every metric', () => {
    const m = binaryMetrics(SK_SCORES, SK_LABELS);
    expect(m.accuracy).toBe(0.75);
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(0.5);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.aucRoc).toBeCloseTo(0.75, 12);
    expect(m.aucPr).toBeCloseTo(5 / 6, 12);
  });
  it('throws a typed error for mismatched lengths', () => {
    let error: unknown;
    try {
      binaryMetrics([0.1], [1, 0]);
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'INVALID_ARGUMENT')).toBe(true);
  });
});

describe('majority-class baseline', () => {
  it('predicts the commonest class (the smallest on ties) and scores its frequency', () => {
    expect(majorityClass([2, 1, 2, 0], 3)).toBe(2);
    expect(majorityClass([1, 0], 2)).toBe(0);
    expect(majorityClass([], 4)).toBe(0);
    // 6 positives in 100: "no stroke" for everyone scores 0.94, the prevalence is 0.06.
    const labels = Array.from({ length: 100 }, (_, i) => (i < 6 ? 1 : 0));
    expect(constantAccuracy(labels, majorityClass(labels, 2))).toBe(0.94);
    expect(prevalence(labels)).toBe(0.06);
    expect(constantAccuracy([], 0)).toBeNaN();
  });
});

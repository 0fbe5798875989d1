import { describe, expect, it } from 'vitest';
import { bootstrapAuc, binaryMetrics, pairedAucDifference } from '../ml/index.js';
import type { ComparisonReport, ReportRow } from '../sim/report.js';
import { differenceText, formatComparison, withInterval } from './report-format.js';

// 100 test rows, 6 positives: the stroke prevalence.
const LABELS = Array.from({ length: 100 }, (_, i) => (i < 6 ? 1 : 0));
const BOOTSTRAP = { resamples: 1000, level: 0.95, seed: 0 };

function row(model: ReportRow['model'], scores: number[]): ReportRow {
  const metrics = binaryMetrics(scores, LABELS);
  const intervals = bootstrapAuc(scores, LABELS, BOOTSTRAP);
  return {
    model,
    evaluatedOn: 'pooled',
    loss: 0.2,
    numExamples: LABELS.length,
    metrics: { ...metrics },
    aucRocInterval: intervals.aucRocInterval,
    aucPrInterval: intervals.aucPrInterval,
  };
}

describe('formatComparison', () => {
  it('shows positives and a majority row, and marks a constant predictor "no better"', () => {
    // "No stroke" for everyone (score 0.1 < 0.5 everywhere): accuracy 0.94, the majority accuracy.
    const constant = LABELS.map(() => 0.1);
    // A model that ranks the positives first and predicts two of them: it beats the majority.
    const ranking = LABELS.map((y, i) => (y === 1 ? (i < 2 ? 0.9 : 0.4) : 0.3 - i / 1000));
    const report: ComparisonReport = {
      epochs: 3,
      rows: [row('federated', ranking), row('central', constant)],
      testSets: [
        { evaluatedOn: 'pooled', numExamples: 100, positives: 6, prevalence: 0.06, majorityAccuracy: 0.94 },
      ],
      differences: [
        {
          model: 'central',
          evaluatedOn: 'pooled',
          ...pairedAucDifference(ranking, constant, LABELS, BOOTSTRAP),
        },
      ],
      bootstrap: BOOTSTRAP,
    };
    const text = formatComparison(report);
    const lines = text.split('\n');
    expect(lines.find((l) => l.startsWith('majority class'))).toMatch(
      /^majority class +all \(pooled data\) +pooled +100 +6 \(6\.0%\) +n\/a +0\.5000 +0\.0600 +n\/a +0\.9400$/,
    );
    expect(lines.find((l) => l.startsWith('central'))).toMatch(/ 0\.9400 no better$/);
    expect(lines.find((l) => l.startsWith('federated'))).toMatch(/ 1\.0000 \[1\.000, 1\.000\] .* 0\.9600$/);
    // The constant model's AUC-ROC is 0.5 and its interval is a point; the difference is clear of noise.
    expect(lines.find((l) => l.startsWith('central'))).toContain('0.5000 [0.500, 0.500]');
    expect(text).toMatch(
      /^central +all \(pooled data\) +pooled +\+0\.5000 \[\+0\.500, \+0\.500\] beyond noise/m,
    );
  });

  it('formats intervals and differences, including undefined ones', () => {
    expect(withInterval(0.84576, { low: 0.8012, high: 0.8866 })).toBe('0.8458 [0.801, 0.887]');
    expect(withInterval(NaN, { low: NaN, high: NaN })).toBe('n/a');
    expect(differenceText({ difference: 0.0169, low: -0.012, high: 0.046, withinNoise: true })).toBe(
      '+0.0169 [-0.012, +0.046] within noise',
    );
    expect(differenceText({ difference: NaN, low: NaN, high: NaN, withinNoise: false })).toBe('n/a');
  });
});

/**
 * The text of a run's classification report (`simulate --compare`, `federation`): the comparison table with each
 * test set's positives and a majority-class row, AUCs with their bootstrap intervals, accuracies marked when they do
 * not beat the majority class, and the federated model's AUC differences from the other models with whether each
 * is within the bootstrap noise.
 */
import type { Difference, Interval } from '../ml/index.js';
import type { ComparisonReport, ModelDifference, ReportRow, TestSetSummary } from '../sim/report.js';
import { accuracyVersusMajority, beatsMajority, formatDuration, remainingMs } from '../telemetry/index.js';
import { formatMetric, formatTable } from './table.js';

/** "0.8458 [0.803, 0.886]": a point estimate and its interval (3 decimals: the interval is coarser than that). */
export function withInterval(value: number | undefined, interval: Interval | undefined): string {
  const point = formatMetric(value);
  if (!interval || !Number.isFinite(interval.low)) return point;
  return `${point} [${interval.low.toFixed(3)}, ${interval.high.toFixed(3)}]`;
}

/** "52 (12.2%)": a test set's positives and prevalence. */
export function positivesText(set: TestSetSummary | undefined): string {
  if (set?.positives === undefined || set.prevalence === undefined) return 'n/a';
  return `${set.positives} (${(set.prevalence * 100).toFixed(1)}%)`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(4)}`;
}

/** "+0.0169 [-0.012, +0.046] within noise": a paired difference, its interval and whether it contains 0. */
export function differenceText(d: Difference): string {
  if (!Number.isFinite(d.difference)) return 'n/a';
  const bound = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(3)}`;
  const verdict = d.withinNoise ? 'within noise' : 'beyond noise';
  return `${signed(d.difference)} [${bound(d.low)}, ${bound(d.high)}] ${verdict}`;
}

function trainedByText(model: string, trainedBy: string | undefined): string {
  return trainedBy ?? (model === 'federated' ? 'all (federated)' : 'all (pooled data)');
}

function accuracyCell(row: ReportRow, set: TestSetSummary | undefined): string {
  const accuracy = row.metrics['accuracy'];
  if (accuracy === undefined || !Number.isFinite(accuracy)) return 'n/a';
  const majority = set?.majorityAccuracy;
  if (majority === undefined || !Number.isFinite(majority) || beatsMajority(accuracy, majority)) {
    return formatMetric(accuracy);
  }
  return `${formatMetric(accuracy)} no better`;
}

function differencesTable(differences: readonly ModelDifference[]): string {
  const rows = differences.map((d) => [
    d.model,
    trainedByText(d.model, d.trainedBy),
    d.evaluatedOn,
    differenceText(d.aucRoc),
    differenceText(d.aucPr),
  ]);
  return formatTable(
    [
      'federated minus',
      'trained by',
      'evaluated on',
      'AUC-ROC difference [95% CI]',
      'AUC-PR difference [95% CI]',
    ],
    rows,
  );
}

export function formatComparison(report: ComparisonReport): string {
  const binary = report.rows.some((r) => r.metrics['aucRoc'] !== undefined);
  const sets = new Map(report.testSets.map((s) => [s.evaluatedOn, s]));
  const level = `${Math.round(report.bootstrap.level * 100)}%`;
  const header = [
    'model',
    'trained by',
    'evaluated on',
    'examples',
    ...(binary ? ['positives'] : []),
    'loss',
    ...(binary ? [`AUC-ROC [${level} CI]`, `AUC-PR [${level} CI]`, 'F1'] : []),
    'accuracy',
  ];
  // The majority-class rows first: the accuracy every model has to beat, and the AUCs of a constant score.
  const majorityRows = [...sets.values()].map((s) => [
    'majority class',
    'all (pooled data)',
    s.evaluatedOn,
    String(s.numExamples),
    ...(binary ? [positivesText(s)] : []),
    'n/a',
    ...(binary ? [formatMetric(0.5), formatMetric(s.prevalence), 'n/a'] : []),
    formatMetric(s.majorityAccuracy),
  ]);
  const modelRows = report.rows.map((r) => [
    r.model,
    trainedByText(r.model, r.trainedBy),
    r.evaluatedOn,
    String(r.numExamples),
    ...(binary ? [positivesText(sets.get(r.evaluatedOn))] : []),
    formatMetric(r.loss),
    ...(binary
      ? [
          withInterval(r.metrics['aucRoc'], r.aucRocInterval),
          withInterval(r.metrics['aucPr'], r.aucPrInterval),
          formatMetric(r.metrics['f1']),
        ]
      : []),
    accuracyCell(r, sets.get(r.evaluatedOn)),
  ]);
  const lines = [
    `Comparison (baselines trained for ${report.epochs} epochs, the federated run's passes over the data):`,
    formatTable(header, [...majorityRows, ...modelRows]),
    '"majority class" always predicts the commonest class of the pooled training data; an accuracy marked "no better" does not beat it.',
  ];
  if (binary) {
    lines.push(
      `AUC intervals: ${level} percentile bootstrap, ${report.bootstrap.resamples} resamples stratified by class (seed ${report.bootstrap.seed}); "pooled" is one AUC over all test rows, not a mean of the per-client AUCs.`,
    );
  }
  if (report.differences.length > 0) {
    lines.push(
      '',
      `AUC of the federated model minus each other model's on the same test rows (paired bootstrap, ${level}); "within noise": the interval contains 0.`,
      differencesTable(report.differences),
    );
  }
  return lines.join('\n');
}

/** "accuracy 0.9382 (majority 0.9366)" for a final summary line. */
export function accuracyText(metrics: Readonly<Record<string, number>>): string {
  const accuracy = metrics['accuracy'];
  if (accuracy === undefined || !Number.isFinite(accuracy)) return 'n/a';
  return accuracyVersusMajority(accuracy, metrics['majorityAccuracy']);
}

/**
 * Progress of the report's baselines (central, then one local-only model per client): a line per tenth of them with
 * elapsed time and ETA, so a comparison over many clients does not go silent.
 */
export function baselineProgress(
  say: (line: string) => void,
  now: () => number = () => performance.now(),
): (done: number, total: number, what: string) => void {
  const start = now();
  return (done, total, what) => {
    const step = Math.ceil(total / 10);
    if (done % step !== 0 && done !== total) return;
    const elapsed = now() - start;
    const eta = remainingMs(elapsed, done, total - done);
    say(
      `baselines ${done}/${total} trained (${what})  elapsed ${formatDuration(elapsed)}  eta ${formatDuration(eta)}`,
    );
  };
}

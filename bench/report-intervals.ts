/**
 * Cost of the report's bootstrap intervals (src/ml/bootstrap.ts, 1000 stratified resamples): one AUC-ROC + AUC-PR
 * interval, and one paired difference of two models, on test sets of the stroke report's size (1,278 rows) and
 * larger, with 6% positives. Each resample is an O(n) walk over a score order sorted once, so the cost grows
 * linearly with the rows; the report makes one interval per row and one difference per compared pair.
 */
import { Rng } from '../src/core/index.js';
import { bootstrapAuc, pairedAucDifference } from '../src/ml/bootstrap.js';

export const name = 'report-intervals';

function scored(
  rows: number,
  seed: number,
): { scores: Float64Array; other: Float64Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const labels = new Int32Array(rows);
  const scores = new Float64Array(rows);
  const other = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    labels[i] = rng.next() < 0.06 ? 1 : 0;
    scores[i] = labels[i]! + rng.normal();
    other[i] = scores[i]! + rng.normal();
  }
  return { scores, other, labels };
}

/** Median milliseconds of 5 timed calls after one warm-up call. */
function medianMs(fn: () => void): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[2]! * 10) / 10;
}

export async function run(): Promise<object> {
  const results: Record<string, number> = {};
  for (const rows of [1278, 5000, 20000]) {
    const { scores, other, labels } = scored(rows, rows);
    results[`interval${rows}RowsMs`] = medianMs(() => bootstrapAuc(scores, labels, { resamples: 1000 }));
    results[`difference${rows}RowsMs`] = medianMs(() =>
      pairedAucDifference(scores, other, labels, { resamples: 1000 }),
    );
  }
  return { resamples: 1000, ...results };
}

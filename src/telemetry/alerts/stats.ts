/** Robust statistics for the anomaly rules: median, median absolute deviation, percentiles. */

/** The p-th percentile (0..100) by linear interpolation between closest ranks; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** 1.4826 x MAD estimates the standard deviation of normally distributed values, robustly to outliers. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Each value's robust z-score |x - median| / (1.4826 MAD). When more than half the values are equal the MAD is 0;
 * the spread is then floored at 5% of the median so that equal values score 0 and a small difference does not
 * score infinity.
 */
export function robustScores(values: readonly number[]): {
  readonly median: number;
  readonly scores: number[];
} {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  const spread = Math.max(MAD_TO_SIGMA * mad, 0.05 * Math.abs(m), Number.MIN_VALUE);
  return { median: m, scores: values.map((v) => Math.abs(v - m) / spread) };
}

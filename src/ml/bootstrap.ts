/**
 * Bootstrap confidence intervals for AUC-ROC and AUC-PR (average precision), so that a report on a test set with a
 * handful of positives says how far its AUCs could move, and whether two models' AUCs differ by more than that.
 *
 * Method: the percentile bootstrap (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13) with
 * stratified resampling: each resample draws as many positives (with replacement) from the positives and as many
 * negatives from the negatives as the test set has, so every resample has both classes and its AUC is defined. The
 * interval is the (1-level)/2 and (1+level)/2 quantiles (linear interpolation) of the resampled statistics. The
 * random draws come from the seeded Rng, so a report is reproducible.
 *
 * Speed: a resample is a vector of how many times each row was drawn. The rows are sorted by score once; each
 * resample's AUC-ROC and AP are then one O(n) walk over that order with the draw counts as weights, which equals
 * computing them on the materialised resample (ties within a score group are handled as metrics.ts does).
 */
import { FlotillaError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { assertSameLength } from './metrics.js';

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  readonly resamples?: number;
  /** Coverage of the interval, in (0, 1) (default 0.95). */
  readonly level?: number;
  /** Seed of the resampling draws (default 0). */
  readonly seed?: number;
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** Point estimates on the test set as given, with their bootstrap intervals. */
export interface AucIntervals {
  readonly aucRoc: number;
  readonly aucPr: number;
  readonly aucRocInterval: Interval;
  readonly aucPrInterval: Interval;
  readonly positives: number;
  readonly negatives: number;
  readonly resamples: number;
  readonly level: number;
}

/** A - B on the same rows, with the interval of the paired bootstrap of that difference. */
export interface Difference extends Interval {
  readonly difference: number;
  /** The interval contains 0: the difference is within the resampling noise of this test set. */
  readonly withinNoise: boolean;
}

export interface AucDifference {
  readonly aucRoc: Difference;
  readonly aucPr: Difference;
  readonly resamples: number;
  readonly level: number;
}

const NO_INTERVAL: Interval = { low: NaN, high: NaN };

/** Rows in descending score order, cut into groups of tied scores (`groupEnd[g]` is one past the group's last). */
interface Ranking {
  readonly order: Uint32Array;
  readonly groupEnds: Uint32Array;
}

function rank(scores: ArrayLike<number>): Ranking | undefined {
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) return undefined;
  const order = Uint32Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => scores[b]! - scores[a]!,
  );
  const ends: number[] = [];
  for (let k = 1; k <= order.length; k++) {
    if (k === order.length || scores[order[k]!] !== scores[order[k - 1]!]) ends.push(k);
  }
  return { order, groupEnds: Uint32Array.from(ends) };
}

/**
 * AUC-ROC and AP of the ranked rows, row i counting `weights[i]` times; the weights of the positives add up to
 * `totalPositive` and those of the negatives to `totalNegative` (both known to the caller: the stratum sizes).
 */
function weightedAucs(
  ranking: Ranking,
  labels: ArrayLike<number>,
  weights: ArrayLike<number>,
  totalPositive: number,
  totalNegative: number,
): [number, number] {
  const { order, groupEnds } = ranking;
  if (totalPositive === 0 || totalNegative === 0) return [NaN, NaN];
  // Walking from the highest score down: a positive beats every negative below its group, ties count one half.
  let negativeAbove = 0;
  let tp = 0;
  let fp = 0;
  let concordant = 0;
  let ap = 0;
  let start = 0;
  for (let g = 0; g < groupEnds.length; g++) {
    const end = groupEnds[g]!;
    let positive = 0;
    let negative = 0;
    for (let k = start; k < end; k++) {
      const row = order[k]!;
      if (labels[row] === 1) positive += weights[row]!;
      else negative += weights[row]!;
    }
    concordant += positive * (totalNegative - negativeAbove - negative + negative / 2);
    negativeAbove += negative;
    tp += positive;
    fp += negative;
    if (positive > 0) ap += (positive / totalPositive) * (tp / (tp + fp));
    start = end;
  }
  return [concordant / (totalPositive * totalNegative), ap];
}

/** The p-quantile of sorted values, interpolating linearly between order statistics. */
function quantile(sorted: Float64Array, p: number): number {
  const at = (sorted.length - 1) * p;
  const below = Math.floor(at);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (at - below) * (sorted[above]! - sorted[below]!);
}

function percentileInterval(values: Float64Array, level: number): Interval {
  const sorted = values.slice().sort();
  return { low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, (1 + level) / 2) };
}

function settings(options: BootstrapOptions): { resamples: number; level: number; seed: number } {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  if (!Number.isSafeInteger(resamples) || resamples < 2) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `bootstrap: resamples must be an integer >= 2, got ${resamples}`,
    );
  }
  if (!(level > 0 && level < 1)) {
    throw new FlotillaError('INVALID_ARGUMENT', `bootstrap: level must be in (0, 1), got ${level}`);
  }
  return { resamples, level, seed: options.seed ?? 0 };
}

const TWO_POW_32 = 4294967296;
/** Strata up to this size use the multiply-shift draw: x * n stays an exact double below 2^53. */
const MULTIPLY_SHIFT_LIMIT = 2 ** 21;

/**
 * A uniform index in [0, n): Lemire's multiply-shift with rejection ("Fast random integer generation in an
 * interval", 2019), unbiased like Rng.nextInt but without its floating-point modulo per draw, which dominated the
 * bootstrap's cost. `threshold` is (2^32 - n) mod n, computed once per stratum. Exported for its tests.
 */
export function drawIndex(rng: Rng, n: number, threshold: number): number {
  if (n > MULTIPLY_SHIFT_LIMIT) return rng.nextInt(n);
  for (;;) {
    const m = rng.nextUint32() * n;
    const high = Math.floor(m / TWO_POW_32);
    if (m - high * TWO_POW_32 >= threshold) return high;
  }
}

/**
 * Stratified resampling: yields, per resample, how many times each row was drawn (the same array, refilled), at
 * index `slot[row]` (default: the row itself). The draws go over the rows in their given order whatever the slots.
 */
function* stratifiedDraws(
  labels: ArrayLike<number>,
  resamples: number,
  seed: number,
  slot?: Uint32Array,
): Generator<Uint32Array> {
  const positives: number[] = [];
  const negatives: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    (labels[i] === 1 ? positives : negatives).push(slot ? slot[i]! : i);
  }
  const rng = new Rng(seed);
  const weights = new Uint32Array(labels.length);
  const p = positives.length;
  const q = negatives.length;
  const positiveThreshold = (TWO_POW_32 - p) % p;
  const negativeThreshold = (TWO_POW_32 - q) % q;
  for (let b = 0; b < resamples; b++) {
    weights.fill(0);
    for (let k = 0; k < p; k++) weights[positives[drawIndex(rng, p, positiveThreshold)]!]!++;
    for (let k = 0; k < q; k++) weights[negatives[drawIndex(rng, q, negativeThreshold)]!]!++;
    yield weights;
  }
}

function countPositives(labels: ArrayLike<number>): number {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  return positives;
}

/**
 * AUC-ROC and AUC-PR of `scores` (probabilities of class 1) with percentile-bootstrap intervals. Without both
 * classes, or with a NaN score, the estimates and intervals are NaN (as in metrics.ts).
 */
export function bootstrapAuc(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: BootstrapOptions = {},
): AucIntervals {
  assertSameLength(scores, labels, 'bootstrapAuc', 'scores');
  const { resamples, level, seed } = settings(options);
  const positives = countPositives(labels);
  const negatives = labels.length - positives;
  const byScore = rank(scores);
  const base = { positives, negatives, resamples, level };
  if (!byScore || positives === 0 || negatives === 0) {
    return { ...base, aucRoc: NaN, aucPr: NaN, aucRocInterval: NO_INTERVAL, aucPrInterval: NO_INTERVAL };
  }
  // Rows renumbered in score order, so each resample's walk reads its weights and labels sequentially.
  const sortedLabels = Uint8Array.from(byScore.order, (row) => (labels[row] === 1 ? 1 : 0));
  const ranking = { order: Uint32Array.from(byScore.order, (_, k) => k), groupEnds: byScore.groupEnds };
  const slot = new Uint32Array(labels.length);
  byScore.order.forEach((row, k) => (slot[row] = k));
  const ones = new Uint32Array(labels.length).fill(1);
  const [aucRoc, aucPr] = weightedAucs(ranking, sortedLabels, ones, positives, negatives);
  const rocs = new Float64Array(resamples);
  const prs = new Float64Array(resamples);
  let b = 0;
  for (const weights of stratifiedDraws(labels, resamples, seed, slot)) {
    [rocs[b], prs[b]] = weightedAucs(ranking, sortedLabels, weights, positives, negatives);
    b++;
  }
  return {
    ...base,
    aucRoc,
    aucPr,
    aucRocInterval: percentileInterval(rocs, level),
    aucPrInterval: percentileInterval(prs, level),
  };
}

function difference(estimate: number, values: Float64Array, level: number): Difference {
  const interval = Number.isNaN(estimate) ? NO_INTERVAL : percentileInterval(values, level);
  return { difference: estimate, ...interval, withinNoise: interval.low <= 0 && interval.high >= 0 };
}

/**
 * The paired bootstrap of AUC(A) - AUC(B) for two models scored on the same rows: each resample draws rows once and
 * scores both models on them, so the rows' shared difficulty cancels out of the difference.
 */
export function pairedAucDifference(
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: BootstrapOptions = {},
): AucDifference {
  assertSameLength(scoresA, labels, 'pairedAucDifference (model A)', 'scores');
  assertSameLength(scoresB, labels, 'pairedAucDifference (model B)', 'scores');
  const { resamples, level, seed } = settings(options);
  const positives = countPositives(labels);
  const a = rank(scoresA);
  const b = rank(scoresB);
  const rocs = new Float64Array(resamples);
  const prs = new Float64Array(resamples);
  let estimate: [number, number] = [NaN, NaN];
  const negatives = labels.length - positives;
  if (a && b && positives > 0 && negatives > 0) {
    const ones = new Uint32Array(labels.length).fill(1);
    const [rocA, prA] = weightedAucs(a, labels, ones, positives, negatives);
    const [rocB, prB] = weightedAucs(b, labels, ones, positives, negatives);
    estimate = [rocA - rocB, prA - prB];
    let k = 0;
    for (const weights of stratifiedDraws(labels, resamples, seed)) {
      const [ra, pa] = weightedAucs(a, labels, weights, positives, negatives);
      const [rb, pb] = weightedAucs(b, labels, weights, positives, negatives);
      rocs[k] = ra - rb;
      prs[k] = pa - pb;
      k++;
    }
  }
  return {
    aucRoc: difference(estimate[0], rocs, level),
    aucPr: difference(estimate[1], prs, level),
    resamples,
    level,
  };
}

/**
 * Classification metrics in plain TypeScript (no tfjs), so that servers, strategies and tests can compute them from
 * scores and labels alone. Binary metrics treat label 1 as the positive class.
 *
 * Degenerate inputs never throw; they return documented values:
 * - `accuracy` of zero examples is NaN.
 * - precision, recall and F1 with a zero denominator are 0 (scikit-learn's `zero_division=0` convention), so that
 *   averaging them over many clients stays finite.
 * - `aucRoc` is NaN when only one class is present (the ranking is undefined); `averagePrecision` is NaN when there
 *   is no positive example. Both are NaN when any score is NaN (a diverged model), rather than sorting garbage.
 */
import { FlotillaError } from '../core/errors.js';

export interface BinaryConfusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface BinaryMetrics {
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly aucRoc: number;
  readonly aucPr: number;
}

/** Throws INVALID_ARGUMENT unless there is one label per prediction (or score, as `noun` says). */
export function assertSameLength(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  what: string,
  noun = 'predictions',
): void {
  if (a.length !== b.length) {
    throw new FlotillaError('INVALID_ARGUMENT', `${what}: ${a.length} ${noun} but ${b.length} labels`);
  }
}

/** Fraction of positions where `predicted` equals `labels`. */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertSameLength(predicted, labels, 'accuracy');
  if (labels.length === 0) return NaN;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** The most frequent class in `labels` (the smallest such index on ties); 0 when there are no labels. */
export function majorityClass(labels: ArrayLike<number>, numClasses: number): number {
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  let best = 0;
  for (let c = 1; c < numClasses; c++) if (counts[c]! > counts[best]!) best = c;
  return best;
}

/**
 * Accuracy of always predicting `predictedClass` (the majority-class baseline when it is the training data's most
 * frequent class): the bar a classifier's accuracy has to clear before it means anything. NaN without labels.
 */
export function constantAccuracy(labels: ArrayLike<number>, predictedClass: number): number {
  if (labels.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictedClass) hits++;
  return hits / labels.length;
}

/** Fraction of examples of class 1 (the positive class). NaN without labels. */
export function prevalence(labels: ArrayLike<number>): number {
  return constantAccuracy(labels, 1);
}

/** Confusion counts when an example is predicted positive iff its score is >= threshold. */
export function binaryConfusion(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): BinaryConfusion {
  assertSameLength(scores, labels, 'binaryConfusion');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (positive) tp++;
      else fn++;
    } else if (positive) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

export function precision(c: BinaryConfusion): number {
  return c.tp + c.fp === 0 ? 0 : c.tp / (c.tp + c.fp);
}

export function recall(c: BinaryConfusion): number {
  return c.tp + c.fn === 0 ? 0 : c.tp / (c.tp + c.fn);
}

export function f1(c: BinaryConfusion): number {
  // 2PR/(P+R) written on counts: 2tp / (2tp + fp + fn); identical where defined and avoids 0/0 from P+R=0.
  const denominator = 2 * c.tp + c.fp + c.fn;
  return denominator === 0 ? 0 : (2 * c.tp) / denominator;
}

function hasNaN(scores: ArrayLike<number>): boolean {
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) return true;
  return false;
}

/** Indices of `scores` sorted by score, descending. */
function orderDescending(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b]! - scores[a]!);
}

/**
 * Area under the ROC curve as the Mann-Whitney U statistic: the probability that a random positive scores above a
 * random negative, ties counting one half (average ranks). Equals scikit-learn's `roc_auc_score`.
 */
export function aucRoc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertSameLength(scores, labels, 'aucRoc');
  if (hasNaN(scores)) return NaN;
  const order = orderDescending(scores).reverse();
  let positives = 0;
  let positiveRankSum = 0;
  // Walk groups of tied scores; every member of a group gets the group's average 1-based rank.
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision-recall curve as average precision, step-wise like scikit-learn's
 * `average_precision_score`: AP = sum over distinct score thresholds of (R_k - R_{k-1}) * P_k. Tied scores form
 * one threshold, so their order does not matter.
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  assertSameLength(scores, labels, 'averagePrecision');
  if (hasNaN(scores)) return NaN;
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) totalPositives++;
  if (totalPositives === 0) return NaN;
  const order = orderDescending(scores);
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) tp++;
      else fp++;
    }
    const currentRecall = tp / totalPositives;
    ap += (currentRecall - previousRecall) * (tp / (tp + fp));
    previousRecall = currentRecall;
    start = end + 1;
  }
  return ap;
}

/** All binary metrics at once; `scores` are probabilities of the positive class. */
export function binaryMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  const c = binaryConfusion(scores, labels, threshold);
  const n = c.tp + c.fp + c.tn + c.fn;
  return {
    accuracy: n === 0 ? NaN : (c.tp + c.tn) / n,
    precision: precision(c),
    recall: recall(c),
    f1: f1(c),
    aucRoc: aucRoc(scores, labels),
    aucPr: averagePrecision(scores, labels),
  };
}

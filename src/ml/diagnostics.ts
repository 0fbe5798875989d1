/**
 * What a run report plots about a final model, from its class probabilities on evaluation rows: ROC and
 * precision-recall curves, a calibration (reliability) table and the confusion matrix. Plain TypeScript (no tfjs),
 * compact plain data (curves thinned to a few hundred points) so that it can be stored with the run as JSON.
 *
 * Binary models: curves and calibration are about the positive class (label 1). Multiclass models: curves are
 * micro-averaged one-vs-rest (every (example, class) pair is one decision), calibration is about the top-1 class
 * (its probability against whether it was right), the confusion matrix counts argmax predictions.
 */
import { FlotillaError } from '../core/errors.js';

/** Points of a curve; `x` and `y` have the same length. */
export interface CurvePoints {
  readonly x: readonly number[];
  readonly y: readonly number[];
}

export interface CalibrationBin {
  /** The bin covers predicted probabilities in [lower, upper) (the last bin includes 1). */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability of the rows in the bin (NaN when empty). */
  readonly meanPredicted: number;
  /** Fraction of those rows that were positive (binary) or right (multiclass top-1); NaN when empty. */
  readonly observed: number;
}

export interface ModelDiagnostics {
  readonly numExamples: number;
  readonly numClasses: number;
  /** 'positive-class' (binary) or 'micro-one-vs-rest' (multiclass). */
  readonly averaging: 'positive-class' | 'micro-one-vs-rest';
  /** x: false positive rate, y: true positive rate. */
  readonly roc: CurvePoints;
  /** x: recall, y: precision. */
  readonly precisionRecall: CurvePoints;
  readonly calibration: readonly CalibrationBin[];
  /** Expected calibration error: the example-weighted mean |observed - meanPredicted| over the bins. */
  readonly expectedCalibrationError: number;
  /** confusion[trueClass][predictedClass]. */
  readonly confusion: readonly (readonly number[])[];
}

/** Most points a stored curve keeps. */
export const MAX_CURVE_POINTS = 200;
export const CALIBRATION_BINS = 10;

/**
 * ROC and PR curves of scores against 0/1 outcomes: one point per distinct threshold (tied scores form one step),
 * thinned to at most MAX_CURVE_POINTS keeping the first and last.
 */
export function rankCurves(
  scores: ArrayLike<number>,
  positive: ArrayLike<number>,
): { roc: CurvePoints; precisionRecall: CurvePoints } {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  for (let i = 0; i < positive.length; i++) positives += positive[i] ? 1 : 0;
  const negatives = positive.length - positives;
  const roc = { x: [0], y: [0] };
  const pr = { x: [0], y: [1] };
  let tp = 0;
  let fp = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end++;
    for (let k = start; k <= end; k++) {
      if (positive[order[k]!]) tp++;
      else fp++;
    }
    roc.x.push(negatives === 0 ? 0 : fp / negatives);
    roc.y.push(positives === 0 ? 0 : tp / positives);
    pr.x.push(positives === 0 ? 0 : tp / positives);
    pr.y.push(tp / (tp + fp));
    start = end + 1;
  }
  return { roc: thin(roc), precisionRecall: thin(pr) };
}

function thin(curve: { x: number[]; y: number[] }): CurvePoints {
  const n = curve.x.length;
  if (n <= MAX_CURVE_POINTS) return curve;
  const keep = Array.from({ length: MAX_CURVE_POINTS }, (_, i) =>
    Math.round((i * (n - 1)) / (MAX_CURVE_POINTS - 1)),
  );
  return { x: keep.map((i) => curve.x[i]!), y: keep.map((i) => curve.y[i]!) };
}

/** Reliability table of predicted probabilities against 0/1 outcomes, in `bins` equal-width bins over [0, 1]. */
export function calibrationBins(
  predicted: ArrayLike<number>,
  outcome: ArrayLike<number>,
  bins = CALIBRATION_BINS,
): { bins: CalibrationBin[]; expectedCalibrationError: number } {
  const count = new Float64Array(bins);
  const sumPredicted = new Float64Array(bins);
  const sumObserved = new Float64Array(bins);
  for (let i = 0; i < predicted.length; i++) {
    const p = predicted[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    count[b]!++;
    sumPredicted[b]! += p;
    sumObserved[b]! += outcome[i] ? 1 : 0;
  }
  let ece = 0;
  const table = Array.from({ length: bins }, (_, b) => {
    const n = count[b]!;
    const meanPredicted = n === 0 ? NaN : sumPredicted[b]! / n;
    const observed = n === 0 ? NaN : sumObserved[b]! / n;
    if (n > 0) ece += (n / predicted.length) * Math.abs(observed - meanPredicted);
    return { lower: b / bins, upper: (b + 1) / bins, count: n, meanPredicted, observed };
  });
  return { bins: table, expectedCalibrationError: predicted.length === 0 ? NaN : ece };
}

/**
 * Everything above from row-major class probabilities (`probabilities[i * numClasses + c]`) and labels. A binary
 * model passes two columns (1 - p, p); its prediction is positive when p >= 0.5, as the binary metrics count it.
 */
export function modelDiagnostics(
  probabilities: Float32Array,
  labels: ArrayLike<number>,
  numClasses: number,
): ModelDiagnostics {
  const n = labels.length;
  if (!(Number.isInteger(numClasses) && numClasses >= 2) || probabilities.length !== n * numClasses) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `model diagnostics: ${probabilities.length} probabilities for ${n} labels and ${numClasses} classes`,
    );
  }
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const top = new Float32Array(n);
  const right = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) {
      if (probabilities[i * numClasses + c]! > probabilities[i * numClasses + best]!) best = c;
    }
    if (numClasses === 2) best = probabilities[i * 2 + 1]! >= 0.5 ? 1 : 0;
    confusion[labels[i]!]![best]!++;
    top[i] = probabilities[i * numClasses + best]!;
    right[i] = best === labels[i] ? 1 : 0;
  }
  if (numClasses === 2) {
    const scores = Float32Array.from({ length: n }, (_, i) => probabilities[i * 2 + 1]!);
    const positive = Uint8Array.from(labels, (l) => (l === 1 ? 1 : 0));
    const calibration = calibrationBins(scores, positive);
    return {
      numExamples: n,
      numClasses,
      averaging: 'positive-class',
      ...rankCurves(scores, positive),
      calibration: calibration.bins,
      expectedCalibrationError: calibration.expectedCalibrationError,
      confusion,
    };
  }
  const positive = new Uint8Array(n * numClasses);
  for (let i = 0; i < n; i++) positive[i * numClasses + labels[i]!] = 1;
  const calibration = calibrationBins(top, right);
  return {
    numExamples: n,
    numClasses,
    averaging: 'micro-one-vs-rest',
    ...rankCurves(probabilities, positive),
    calibration: calibration.bins,
    expectedCalibrationError: calibration.expectedCalibrationError,
    confusion,
  };
}

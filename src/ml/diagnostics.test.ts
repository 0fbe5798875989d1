import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/errors.js';
import { calibrationBins, MAX_CURVE_POINTS, modelDiagnostics, rankCurves } from './diagnostics.js';
import { aucRoc } from './metrics.js';

/** Trapezoidal area under a curve given by points in x order. */
function area(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return a;
}

describe('rankCurves', () => {
  it('steps once per distinct score, ties together, from (0,0) to (1,1)', () => {
    const { roc, precisionRecall } = rankCurves([0.9, 0.8, 0.8, 0.1], [1, 1, 0, 0]);
    expect(roc.x).toEqual([0, 0, 0.5, 1]);
    expect(roc.y).toEqual([0, 0.5, 1, 1]);
    expect(precisionRecall.x).toEqual([0, 0.5, 1, 1]);
    expect(precisionRecall.y).toEqual([1, 1, 2 / 3, 0.5]);
  });

  it('has the area of the Mann-Whitney AUC, thinned to a bounded number of points', () => {
    const n = 5000;
    const scores = Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const labels = scores.map((s, i) => (s + Math.cos(i) * 0.4 > 0.6 ? 1 : 0));
    const { roc } = rankCurves(scores, labels);
    expect(roc.x).toHaveLength(MAX_CURVE_POINTS);
    expect(roc.x.at(-1)).toBe(1);
    expect(area(roc.x, roc.y)).toBeCloseTo(aucRoc(scores, labels), 2);
  });
});

describe('calibrationBins', () => {
  it('bins predictions and weighs the gap by bin size', () => {
    const { bins, expectedCalibrationError } = calibrationBins(
      [0.05, 0.05, 0.95, 0.95, 1],
      [0, 1, 1, 1, 1],
      2,
    );
    expect(bins.map((b) => b.count)).toEqual([2, 3]);
    expect(bins[0]!.observed).toBe(0.5);
    expect(bins[1]!.meanPredicted).toBeCloseTo(0.9667, 4);
    expect(expectedCalibrationError).toBeCloseTo((2 / 5) * 0.45 + (3 / 5) * (1 - 0.9667), 4);
  });
});

describe('modelDiagnostics', () => {
  it('counts a binary confusion at p >= 0.5 and curves of the positive class', () => {
    const p = [0.9, 0.4, 0.6, 0.2];
    const probabilities = Float32Array.from(p.flatMap((q) => [1 - q, q]));
    const d = modelDiagnostics(probabilities, [1, 1, 0, 0], 2);
    expect(d.confusion).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(d.averaging).toBe('positive-class');
    expect(d.roc.y.at(-1)).toBe(1);
  });

  it('micro-averages a multiclass model and calibrates its top-1 confidence', () => {
    const probabilities = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.5, 0.3, 0.2]);
    const d = modelDiagnostics(probabilities, [0, 1, 2], 3);
    expect(d.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    expect(d.averaging).toBe('micro-one-vs-rest');
    expect(d.calibration.reduce((a, b) => a + b.count, 0)).toBe(3);
  });

  it('refuses probabilities that do not match labels and classes', () => {
    let error: unknown;
    try {
      modelDiagnostics(new Float32Array(5), [0, 1], 2);
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(error)).toMatch(/5 probabilities for 2 labels and 2 classes/);
  });
});

import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { bootstrapAuc, drawIndex, pairedAucDifference } from './bootstrap.js';
import { aucRoc, averagePrecision } from './metrics.js';

/** Binormal scores: negatives ~ N(0, 1), positives ~ N(shift, 1); their true AUC-ROC is Phi(shift / sqrt(2)). */
function binormal(rng: Rng, positives: number, negatives: number, shift: number) {
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < positives; i++) {
    scores.push(shift + rng.normal());
    labels.push(1);
  }
  for (let i = 0; i < negatives; i++) {
    scores.push(rng.normal());
    labels.push(0);
  }
  return { scores, labels };
}

/** Standard normal CDF by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), for the binormal model's true AUC. */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * The percentile bootstrap straight from its definition (Efron & Tibshirani 1993, ch. 13): materialise each
 * stratified resample (positives drawn first, then negatives, with the same Rng draws as the implementation),
 * compute its AUCs with the scikit-learn-equivalent metrics, and take the quantiles of the sorted results.
 */
function referenceIntervals(scores: number[], labels: number[], resamples: number, seed: number) {
  const positives = labels.flatMap((y, i) => (y === 1 ? [i] : []));
  const negatives = labels.flatMap((y, i) => (y === 1 ? [] : [i]));
  const rng = new Rng(seed);
  const pick = (rows: number[]) => rows[drawIndex(rng, rows.length, (2 ** 32 - rows.length) % rows.length)]!;
  const rocs: number[] = [];
  const prs: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const rows = [...positives.map(() => pick(positives)), ...negatives.map(() => pick(negatives))];
    const s = rows.map((i) => scores[i]!);
    const y = rows.map((i) => labels[i]!);
    rocs.push(aucRoc(s, y));
    prs.push(averagePrecision(s, y));
  }
  const q = (values: number[], p: number) => {
    const sorted = [...values].sort((x, z) => x - z);
    const at = (sorted.length - 1) * p;
    const lo = Math.floor(at);
    return sorted[lo]! + (at - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!);
  };
  return {
    roc: { low: q(rocs, 0.025), high: q(rocs, 0.975) },
    pr: { low: q(prs, 0.025), high: q(prs, 0.975) },
  };
}

describe('drawIndex', () => {
  it('draws indices uniformly (chi-square) and only in range', () => {
    const rng = new Rng(12);
    for (const n of [1, 7, 1000]) {
      const counts = new Array<number>(n).fill(0);
      const draws = 200 * n;
      for (let i = 0; i < draws; i++) counts[drawIndex(rng, n, (2 ** 32 - n) % n)]!++;
      const chi2 = counts.reduce((sum, c) => sum + (c - 200) ** 2 / 200, 0);
      // n - 1 degrees of freedom: mean n - 1, sd sqrt(2(n - 1)); 5 sd is far outside chance.
      expect(chi2).toBeLessThanOrEqual(n - 1 + 5 * Math.sqrt(2 * Math.max(1, n - 1)));
    }
  });
});

describe('bootstrapAuc', () => {
  it('equals the percentile bootstrap computed from its definition on materialised resamples, ties included', () => {
    const rng = new Rng(3);
    // Scores rounded to one decimal: many ties across and within classes.
    const { scores, labels } = binormal(rng, 9, 60, 1);
    const rounded = scores.map((s) => Math.round(s * 10) / 10);
    const got = bootstrapAuc(rounded, labels, { resamples: 300, seed: 11 });
    const want = referenceIntervals(rounded, labels, 300, 11);
    expect(got.aucRoc).toBeCloseTo(aucRoc(rounded, labels), 12);
    expect(got.aucPr).toBeCloseTo(averagePrecision(rounded, labels), 12);
    expect(got.aucRocInterval.low).toBeCloseTo(want.roc.low, 12);
    expect(got.aucRocInterval.high).toBeCloseTo(want.roc.high, 12);
    expect(got.aucPrInterval.low).toBeCloseTo(want.pr.low, 12);
    expect(got.aucPrInterval.high).toBeCloseTo(want.pr.high, 12);
    expect(got).toMatchObject({ positives: 9, negatives: 60, resamples: 300, level: 0.95 });
  });

  it('contains the point estimate and shrinks as the test set grows', () => {
    const rng = new Rng(5);
    const widths = [10, 40, 160].map((positives) => {
      const { scores, labels } = binormal(rng, positives, positives * 15, 1.2);
      const r = bootstrapAuc(scores, labels, { seed: 1 });
      expect(r.aucRocInterval.low).toBeLessThanOrEqual(r.aucRoc);
      expect(r.aucRocInterval.high).toBeGreaterThanOrEqual(r.aucRoc);
      expect(r.aucPrInterval.low).toBeLessThanOrEqual(r.aucPr);
      expect(r.aucPrInterval.high).toBeGreaterThanOrEqual(r.aucPr);
      return r.aucRocInterval.high - r.aucRocInterval.low;
    });
    expect(widths[1]).toBeLessThan(widths[0]! * 0.75);
    expect(widths[2]).toBeLessThan(widths[1]! * 0.75);
  });

  it('covers the true AUC-ROC of a binormal model about 95% of the time', () => {
    const shift = 1;
    const truth = phi(shift / Math.SQRT2);
    const rng = new Rng(8);
    const trials = 200;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const { scores, labels } = binormal(rng, 40, 400, shift);
      const { aucRocInterval } = bootstrapAuc(scores, labels, { resamples: 300, seed: t });
      if (aucRocInterval.low <= truth && truth <= aucRocInterval.high) covered++;
    }
    // Coverage of a 95% percentile interval (this seed gives 0.92); 200 trials estimate it within about +-0.04.
    expect(covered / trials).toBeGreaterThan(0.89);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('is reproducible from its seed', () => {
    const { scores, labels } = binormal(new Rng(1), 7, 100, 1);
    expect(bootstrapAuc(scores, labels, { seed: 4 })).toEqual(bootstrapAuc(scores, labels, { seed: 4 }));
  });

  it('gives NaN without both classes or with a NaN score, and refuses bad settings', () => {
    expect(bootstrapAuc([0.1, 0.2], [0, 0]).aucRocInterval.low).toBeNaN();
    expect(bootstrapAuc([0.1, NaN], [0, 1]).aucPr).toBeNaN();
    for (const bad of [
      () => bootstrapAuc([0.1], [0, 1]),
      () => bootstrapAuc([0.1, 0.2], [0, 1], { resamples: 1 }),
      () => bootstrapAuc([0.1, 0.2], [0, 1], { level: 1 }),
    ]) {
      try {
        bad();
        expect.unreachable();
      } catch (error) {
        expect(isFlotillaError(error) && error.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});

describe('pairedAucDifference', () => {
  it('is 0 with a degenerate interval for a model against itself', () => {
    const { scores, labels } = binormal(new Rng(2), 10, 100, 1);
    const d = pairedAucDifference(scores, scores, labels);
    expect(d.aucRoc).toEqual({ difference: 0, low: 0, high: 0, withinNoise: true });
  });

  it('separates a clearly better model and not two noisy equals', () => {
    const rng = new Rng(9);
    const { scores, labels } = binormal(rng, 60, 600, 2);
    const noisy = scores.map((s) => s + 3 * rng.normal());
    const better = pairedAucDifference(scores, noisy, labels, { seed: 1 });
    expect(better.aucRoc.difference).toBeCloseTo(aucRoc(scores, labels) - aucRoc(noisy, labels), 12);
    expect(better.aucRoc.low).toBeGreaterThan(0);
    expect(better.aucRoc.withinNoise).toBe(false);

    // Two models whose scores differ only by independent noise of the same size: same expected AUC.
    const a = scores.map((s) => s + rng.normal());
    const b = scores.map((s) => s + rng.normal());
    const same = pairedAucDifference(a, b, labels, { seed: 1 });
    expect(same.aucRoc.low).toBeLessThanOrEqual(same.aucRoc.difference);
    expect(same.aucRoc.high).toBeGreaterThanOrEqual(same.aucRoc.difference);
    expect(same.aucRoc.withinNoise).toBe(true);
  });
});

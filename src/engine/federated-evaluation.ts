/**
 * Folds the clients' evaluation results of one round into a FederatedEvaluation: example-weighted loss and metrics
 * (the population view) plus the spread of per-client accuracy (the fairness view: a model can gain on average
 * while the worst-served clients lose).
 */
import type { EvaluateOutput, MetricValues } from '../core/index.js';
import type { ClientFailure } from '../strategy/strategy.js';
import type { AccuracySpread, FederatedEvaluation } from './history.js';

export interface ClientEvaluation {
  readonly clientId: string;
  readonly output: EvaluateOutput;
}

export function accuracySpread(accuracies: readonly number[]): AccuracySpread | undefined {
  if (accuracies.length === 0) return undefined;
  const sorted = [...accuracies].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = sorted.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
  const worstCount = Math.max(1, Math.ceil(n * 0.1 - 1e-9));
  const worst10Mean = sorted.slice(0, worstCount).reduce((a, b) => a + b, 0) / worstCount;
  return { mean, worst10Mean, variance, min: sorted[0]!, max: sorted[n - 1]! };
}

export function summarizeFederatedEvaluation(
  round: number,
  selected: number,
  results: readonly ClientEvaluation[],
  failures: readonly ClientFailure[],
): FederatedEvaluation {
  let examples = 0;
  let lossSum = 0;
  const metricSums = new Map<string, { sum: number; examples: number }>();
  const accuracies: number[] = [];
  for (const { output } of results) {
    examples += output.numExamples;
    lossSum += output.loss * output.numExamples;
    for (const [name, value] of Object.entries(output.metrics)) {
      const entry = metricSums.get(name) ?? { sum: 0, examples: 0 };
      entry.sum += value * output.numExamples;
      entry.examples += output.numExamples;
      metricSums.set(name, entry);
    }
    const accuracy = output.metrics['accuracy'];
    if (accuracy !== undefined) accuracies.push(accuracy);
  }
  const metrics: MetricValues = {};
  for (const [name, { sum, examples: n }] of metricSums) metrics[name] = n > 0 ? sum / n : Number.NaN;
  const spread = accuracySpread(accuracies);
  return {
    round,
    selected,
    participants: results.length,
    numExamples: examples,
    loss: examples > 0 ? lossSum / examples : Number.NaN,
    metrics,
    ...(spread ? { accuracySpread: spread } : {}),
    failures,
  };
}

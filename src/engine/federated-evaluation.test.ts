import { describe, expect, it } from 'vitest';
import { accuracySpread, summarizeFederatedEvaluation } from './federated-evaluation.js';

describe('federated evaluation summary', () => {
  it('weights loss and metrics by examples and reports the accuracy spread per client', () => {
    const summary = summarizeFederatedEvaluation(
      3,
      3,
      [
        { clientId: 'a', output: { loss: 1, numExamples: 10, metrics: { accuracy: 0.5 } } },
        { clientId: 'b', output: { loss: 2, numExamples: 30, metrics: { accuracy: 0.9 } } },
      ],
      [{ clientId: 'c', cause: 'deadline', message: 'late' }],
    );
    expect(summary.loss).toBeCloseTo(1.75, 12);
    expect(summary.metrics['accuracy']).toBeCloseTo(0.8, 12);
    expect(summary).toMatchObject({ round: 3, selected: 3, participants: 2, numExamples: 40 });
    expect(summary.accuracySpread!.mean).toBeCloseTo(0.7, 12);
    expect(summary.accuracySpread!.variance).toBeCloseTo(0.04, 12);
    expect(summary.failures).toHaveLength(1);
  });

  it('averages the worst 10% of clients (at least one)', () => {
    const accuracies = Array.from({ length: 20 }, (_, i) => i / 20);
    const spread = accuracySpread(accuracies)!;
    expect(spread.worst10Mean).toBeCloseTo((0 + 0.05) / 2, 12);
    expect(spread.min).toBe(0);
    expect(spread.max).toBe(0.95);
    expect(accuracySpread([0.3])!.worst10Mean).toBe(0.3);
    expect(accuracySpread([])).toBeUndefined();
  });

  it('reports NaN loss and no spread when nobody answered', () => {
    const summary = summarizeFederatedEvaluation(1, 2, [], []);
    expect(summary.loss).toBeNaN();
    expect(summary.accuracySpread).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { RunInfo, StoredRound } from '../../storage/index.js';
import { compareRuns, parseTargets } from './compare.js';
import { roundTable, roundTableCsv } from './round-table.js';

function run(runId: string, config: unknown): RunInfo {
  return {
    runId,
    name: runId,
    strategy: 'fedavg',
    config,
    status: 'completed',
    lastRound: 3,
    createdAt: 0,
    updatedAt: 0,
  };
}

function rounds(accuracy: number[], loss: number[]): StoredRound[] {
  return accuracy.map((a, i) => ({
    round: i + 1,
    committedAt: 0,
    record: {
      round: i + 1,
      attempts: 1,
      selected: ['a', 'b'],
      participants: ['a', 'b'],
      train: { numExamples: 10, metrics: { loss: loss[i]! } },
      federatedEvaluation: { loss: loss[i]!, numExamples: 5, metrics: { accuracy: a } },
      durations: { totalMs: 100 },
      bytesSent: 10,
      bytesReceived: 5,
    },
  }));
}

describe('compareRuns', () => {
  const a = {
    run: run('a', { settings: { lr: 0.1, rounds: 3, dp: { sigma: 1 } } }),
    rounds: rounds([0.5, 0.9, 0.8], [1, 0.5, 0.6]),
  };
  const b = {
    run: run('b', { settings: { lr: 0.2, rounds: 3 } }),
    rounds: rounds([0.4, 0.6, 0.85], [2, 1, 0.4]),
  };

  it('lists only the settings that differ, final and best values, totals', () => {
    const c = compareRuns([a, b]);
    expect(c.settings).toEqual([
      { key: 'settings.dp.sigma', values: [1, undefined] },
      { key: 'settings.lr', values: [0.1, 0.2] },
    ]);
    const accuracy = c.metrics.find((m) => m.metric === 'federated.accuracy')!;
    expect(accuracy.runs).toEqual([
      { final: 0.8, best: 0.9, bestRound: 2 },
      { final: 0.85, best: 0.85, bestRound: 3 },
    ]);
    // Lower is better for a loss.
    expect(c.metrics.find((m) => m.metric === 'federated.loss')!.runs[0]).toEqual({
      final: 0.6,
      best: 0.5,
      bestRound: 2,
    });
    expect(c.runs.map((r) => [r.totalMs, r.bytes])).toEqual([
      [300, 45],
      [300, 45],
    ]);
  });

  it('finds the first round at a target, on the evaluation the run has', () => {
    const c = compareRuns([a, b], parseTargets('accuracy=0.85,loss=0.5,aucRoc=0.5'));
    expect(c.targets).toEqual([
      { target: 'accuracy >= 0.85', columns: ['federated.accuracy', 'federated.accuracy'], rounds: [2, 3] },
      { target: 'loss <= 0.5', columns: ['federated.loss', 'federated.loss'], rounds: [2, 3] },
      { target: 'aucRoc >= 0.5', columns: [undefined, undefined], rounds: [undefined, undefined] },
    ]);
  });

  it('refuses a target that is not METRIC=NUMBER', () => {
    expect(() => parseTargets('accuracy>0.9')).toThrow(/"accuracy>0.9" is not METRIC=NUMBER/);
    expect(() => parseTargets('accuracy=high')).toThrow(/not METRIC=NUMBER/);
  });
});

describe('roundTable', () => {
  it('writes one CSV row per round, NaN kept, missing values empty', () => {
    const records = rounds([0.5, 0.6], [NaN, 0.3]);
    const csv = roundTableCsv(roundTable([...records, { round: 3, committedAt: 0, record: { round: 3 } }]));
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'round,attempts,selected,participants,train.numExamples,train.loss,federated.loss,federated.numExamples,federated.accuracy,durations.totalMs,bytesSent,bytesReceived',
    );
    expect(lines[1]).toBe('1,1,2,2,10,NaN,NaN,5,0.5,100,10,5');
    expect(lines[3]).toBe('3,,,,,,,,,,,');
  });
});

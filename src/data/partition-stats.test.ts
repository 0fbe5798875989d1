import { describe, expect, it } from 'vitest';
import { describePartitions } from './partition-stats.js';

describe('describePartitions', () => {
  it('computes sizes, histograms and label skew by hand', () => {
    const labels = Int32Array.from([0, 0, 1, 1]);
    const d = describePartitions(
      labels,
      [Uint32Array.from([0, 1]), Uint32Array.from([2]), Uint32Array.from([])],
      2,
    );
    expect(d.clients).toEqual([
      { client: 0, size: 2, labelCounts: [2, 0], numLabels: 1, labelTv: 0.5 },
      { client: 1, size: 1, labelCounts: [0, 1], numLabels: 1, labelTv: 0.5 },
      { client: 2, size: 0, labelCounts: [0, 0], numLabels: 0, labelTv: null },
    ]);
    expect(d.summary).toMatchObject({
      numClients: 3,
      numExamples: 4,
      assigned: 3,
      minSize: 0,
      meanSize: 1,
      maxSize: 2,
      meanLabelsPerClient: 2 / 3,
      meanLabelTv: 0.5,
      maxLabelTv: 0.5,
    });
    expect(d.summary.sizeStd).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('gives zero skew to clients that mirror the global mix', () => {
    const labels = Int32Array.from([0, 1, 0, 1]);
    const d = describePartitions(
      labels,
      [
        [0, 1],
        [2, 3],
      ],
      2,
    );
    expect(d.summary.meanLabelTv).toBe(0);
  });

  it('rejects overlapping and out-of-range indices', () => {
    const labels = Int32Array.from([0, 1, 0]);
    expect(() => describePartitions(labels, [[0, 1], [1]], 2)).toThrow(
      'row 1 is given to both client 0 and 1',
    );
    expect(() => describePartitions(labels, [[3]], 2)).toThrow('client 0 holds row 3, outside [0, 3)');
  });
});

import { describe, expect, it } from 'vitest';
import { FlotillaError, isFlotillaError } from './errors.js';
import { ParameterLayout, ParameterSet } from './parameters.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('ParameterSet', () => {
  const tensors = [
    { name: 'dense/kernel', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'dense/bias', shape: [3], values: Float32Array.from([7, 8, 9]) },
  ];

  it('keeps named tensors in one flat buffer and returns views, not copies', () => {
    const p = ParameterSet.fromTensors(tensors);
    expect(p.size).toBe(9);
    expect(p.byteLength).toBe(36);
    expect(Array.from(p.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(p.layout.specs.map((s) => [s.name, s.offset, s.size])).toEqual([
      ['dense/kernel', 0, 6],
      ['dense/bias', 6, 3],
    ]);
    const bias = p.tensor('dense/bias');
    bias[0] = 70;
    expect(p.data[6]).toBe(70);
    expect(p.tensors()[1]!.shape).toEqual([3]);
  });

  it('clones deeply and compares layouts by names and shapes', () => {
    const p = ParameterSet.fromTensors(tensors);
    const q = p.clone();
    q.data[0] = -1;
    expect(p.data[0]).toBe(1);
    expect(p.layout.equals(q.layout)).toBe(true);
    const other = new ParameterLayout([
      { name: 'dense/kernel', shape: [3, 2] },
      { name: 'dense/bias', shape: [3] },
    ]);
    expect(p.layout.equals(other)).toBe(false);
    expect(() => p.layout.assertEquals(other)).toThrow(
      'differ at tensor 0: dense/kernel[2x3] vs dense/kernel[3x2]',
    );
  });

  it('rejects bad layouts and data with typed errors', () => {
    expect(
      codeOf(
        () =>
          new ParameterLayout([
            { name: 'a', shape: [2] },
            { name: 'a', shape: [1] },
          ]),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new ParameterLayout([{ name: 'a', shape: [-1] }]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new ParameterLayout([{ name: '', shape: [1] }]))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => ParameterSet.fromTensors([{ name: 'a', shape: [2, 2], values: new Float32Array(3) }])),
    ).toBe('SHAPE_MISMATCH');
    expect(
      codeOf(() => new ParameterSet(new ParameterLayout([{ name: 'a', shape: [2] }]), new Float32Array(3))),
    ).toBe('SHAPE_MISMATCH');
    expect(codeOf(() => ParameterSet.fromTensors(tensors).tensor('nope'))).toBe('INVALID_ARGUMENT');
  });

  it('finds non-finite values and names their tensor', () => {
    const p = ParameterSet.fromTensors(tensors);
    expect(p.firstNonFinite()).toBe(-1);
    p.data[7] = Number.NaN;
    expect(p.firstNonFinite()).toBe(7);
    try {
      p.assertFinite('update from client 3');
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'NON_FINITE')).toBe(true);
      expect((error as Error).message).toBe(
        'update from client 3 contain a non-finite value (NaN) in tensor "dense/bias"',
      );
    }
    p.data[7] = 0;
    p.data[0] = -Infinity;
    expect(p.firstNonFinite()).toBe(0);
  });

  it('handles empty tensors and scalars', () => {
    const p = ParameterSet.fromTensors([
      { name: 'scalar', shape: [], values: Float32Array.from([5]) },
      { name: 'empty', shape: [0, 4], values: new Float32Array(0) },
    ]);
    expect(p.size).toBe(1);
    expect(p.tensor('empty').length).toBe(0);
  });
  it('finds the first non-finite value at any position, across check blocks', () => {
    const size = 3 * 4096 + 3;
    for (const index of [0, 3, 4095, 4096, 8193, size - 1]) {
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const values = new Float32Array(size).fill(-0.5);
        values[index] = bad;
        if (index + 5 < size) values[index + 5] = Number.NaN; // a later one must not win
        const p = ParameterSet.fromTensors([{ name: 'w', shape: [size], values }]);
        expect(p.firstNonFinite()).toBe(index);
      }
    }
    const finite = ParameterSet.fromTensors([
      { name: 'w', shape: [size], values: new Float32Array(size).fill(3.4e38) },
    ]);
    expect(finite.firstNonFinite()).toBe(-1);
  });
});

import { describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError } from '../core/index.js';
import { decodeJson, encodeJson } from './json.js';
import { layoutFromJson, layoutToJson, parametersFromBlob, valuesToBlob } from './tensors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('stored tensors', () => {
  const params = ParameterSet.fromTensors([
    {
      name: 'conv/kernel',
      shape: [2, 2, 1, 2],
      values: Float32Array.from({ length: 8 }, (_, i) => i / 3 - 1),
    },
    { name: 'scalar', shape: [], values: Float32Array.from([Math.PI]) },
    { name: 'empty', shape: [0], values: new Float32Array(0) },
  ]);

  it('round-trips layout and values bit for bit, into an aligned copy', () => {
    const layout = layoutFromJson(layoutToJson(params.layout));
    expect(layout.equals(params.layout)).toBe(true);
    // An unaligned source, as a Buffer slice from the database can be.
    const bytes = new Uint8Array(params.byteLength + 1);
    bytes.set(valuesToBlob(params), 1);
    const back = parametersFromBlob(layout, bytes.subarray(1), 'test');
    expect(Array.from(back.data)).toEqual(Array.from(params.data));
    expect(back.data.buffer).not.toBe(bytes.buffer);
  });

  it('refuses a blob whose size does not match its layout, and malformed layouts', () => {
    const blob = valuesToBlob(params);
    expect(codeOf(() => parametersFromBlob(params.layout, blob.subarray(4), 'params'))).toBe(
      'STORAGE_CORRUPT',
    );
    expect(codeOf(() => layoutFromJson('{"a":1}'))).toBe('STORAGE_CORRUPT');
    expect(codeOf(() => layoutFromJson('[["a",[-1]]]'))).toBe('STORAGE_CORRUPT');
    expect(codeOf(() => layoutFromJson('[["a",[2]],["a",[1]]]'))).toBe('STORAGE_CORRUPT');
    expect(codeOf(() => layoutFromJson('not json'))).toBe('STORAGE_CORRUPT');
  });
});

describe('stored JSON', () => {
  it('keeps NaN and infinities that plain JSON would turn into null', () => {
    const value = { loss: Number.NaN, nested: [Infinity, -Infinity, 1.5, null], text: 'NaN' };
    expect(decodeJson(encodeJson(value, 'x'), 'x')).toEqual(value);
    expect(decodeJson(encodeJson(undefined, 'x'), 'x')).toBeNull();
  });

  it('refuses values JSON cannot hold with a typed error', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codeOf(() => encodeJson(cyclic, 'state'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => encodeJson({ n: 1n }, 'state'))).toBe('INVALID_ARGUMENT');
  });
});

import { describe, expect, it } from 'vitest';
import { MESSAGE_KINDS, PARAMETERS_CODE, kindByCode, kindByType } from './kinds.js';

describe('message kind table', () => {
  it('gives every message type a distinct code in the message range 1-63', () => {
    const codes = MESSAGE_KINDS.map((k) => k.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(MESSAGE_KINDS.map((k) => k.type)).size).toBe(codes.length);
    for (const code of codes) expect(code >= 1 && code <= 63).toBe(true);
    expect(kindByCode(PARAMETERS_CODE)).toBeUndefined();
  });

  it('keeps the wire codes fixed', () => {
    // These numbers are on the wire: changing one breaks every deployed peer.
    expect(MESSAGE_KINDS.map((k) => [k.type, k.code])).toEqual([
      ['fit-task', 1],
      ['fit-result', 2],
      ['evaluate-task', 3],
      ['evaluate-result', 4],
      ['task-failed', 5],
      ['stage-task', 6],
      ['stage-result', 7],
    ]);
    expect(kindByType('fit-result')?.sets).toEqual(['update']);
    expect(kindByType('nope')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet } from '../core/index.js';
import { DEFAULT_DECODE_LIMITS, encodeMessage, type FitResultMessage } from '../protocol/index.js';
import { readEvaluateReply, readFitReply } from './replies.js';

const layout = new ParameterLayout([
  { name: 'w', shape: [2, 2] },
  { name: 'b', shape: [2] },
]);
const task = { clientId: 'c1', taskId: '4.1.0', round: 4 };

function fitResult(overrides: Partial<FitResultMessage> = {}): Uint8Array {
  return encodeMessage({
    type: 'fit-result',
    round: 4,
    taskId: '4.1.0',
    numExamples: 12,
    localSteps: 3,
    metrics: { loss: 0.5 },
    update: new ParameterSet(layout, Float32Array.from([1, 2, 3, 4, 5, 6])),
    ...overrides,
  });
}

function causeOf(frame: Uint8Array): string {
  const checked = readFitReply(frame, task, layout);
  return checked.ok ? 'ok' : checked.failure.cause;
}

describe('readFitReply', () => {
  it('accepts a valid result for the task that was sent', () => {
    const checked = readFitReply(fitResult(), task, layout);
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.value).toMatchObject({ clientId: 'c1', numExamples: 12, localSteps: 3 });
      expect(Array.from(checked.value.update.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('turns every kind of bad reply into a failure with its cause', () => {
    const nan = new ParameterSet(layout, Float32Array.from([1, Number.NaN, 3, 4, 5, 6]));
    const other = new ParameterSet(new ParameterLayout([{ name: 'w', shape: [6] }]));
    const evalResult = encodeMessage({
      type: 'evaluate-result',
      round: 4,
      taskId: '4.1.0',
      loss: 1,
      numExamples: 3,
      metrics: {},
    });
    const failedTask = encodeMessage({
      type: 'task-failed',
      round: 4,
      taskId: '4.1.0',
      code: 'CLIENT_FAILED',
      message: 'x',
    });
    const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(causeOf(fitResult({ update: nan }))).toBe('non-finite');
    expect(causeOf(fitResult({ update: other }))).toBe('wrong-layout');
    expect(causeOf(fitResult({ taskId: '4.1.1' }))).toBe('mismatched-task');
    expect(causeOf(fitResult({ round: 3 }))).toBe('mismatched-task');
    expect(causeOf(fitResult({ numExamples: 0 }))).toBe('invalid-result');
    expect(causeOf(evalResult)).toBe('invalid-result');
    expect(causeOf(failedTask)).toBe('client-error');
    expect(causeOf(garbage)).toBe('undecodable');
    expect(causeOf(fitResult().subarray(0, 40))).toBe('undecodable');
    const tight = { ...DEFAULT_DECODE_LIMITS, maxFrameBytes: 64 };
    const oversized = readFitReply(fitResult(), task, layout, tight);
    expect(oversized.ok ? 'ok' : oversized.failure.cause).toBe('oversized');
  });

  it('records a client-reported non-finite training as non-finite', () => {
    const frame = encodeMessage({
      type: 'task-failed',
      round: 4,
      taskId: '4.1.0',
      code: 'NON_FINITE',
      message: 'NaN',
    });
    expect(causeOf(frame)).toBe('non-finite');
  });
});

describe('readEvaluateReply', () => {
  it('accepts an evaluation and rejects a fit result in its place', () => {
    const frame = encodeMessage({
      type: 'evaluate-result',
      round: 4,
      taskId: '4.1.0',
      loss: 0.25,
      numExamples: 8,
      metrics: { accuracy: 0.75 },
    });
    const ok = readEvaluateReply(frame, task);
    expect(ok).toEqual({ ok: true, value: { loss: 0.25, numExamples: 8, metrics: { accuracy: 0.75 } } });
    const wrong = readEvaluateReply(fitResult(), task);
    expect(wrong.ok ? 'ok' : wrong.failure.cause).toBe('invalid-result');
  });
});

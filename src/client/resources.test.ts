import { describe, expect, it } from 'vitest';
import { ParameterSet, type Trainer } from '../core/index.js';
import {
  decodeMessage,
  encodeMessage,
  type EvaluateResultMessage,
  type FitResultMessage,
  type TaskFailedMessage,
} from '../protocol/index.js';
import type { ResourceProbe } from './resources.js';
import { ClientRuntime } from './runtime.js';
import { browserResourceProbe } from './web/resources.js';

const global = ParameterSet.fromTensors([{ name: 'w', shape: [3], values: new Float32Array([1, 2, 3]) }]);

/** Adds 1 to every weight; its "CPU clock" advances 40 ms per fit, as a platform's would. */
function trainer(clock: { cpuMs: number }): Trainer {
  return {
    async fit(params) {
      clock.cpuMs += 40;
      const w = params.tensor('w');
      w.forEach((v, i) => (w[i] = v + 1));
      return { params, numExamples: 5, localSteps: 1, metrics: {} };
    },
    async evaluate() {
      return { loss: 0.25, numExamples: 5, metrics: {} };
    },
  };
}

/** A platform probe with a CPU clock the trainer advances and a peak that grows with each reading. */
function probe(clock: { cpuMs: number }): ResourceProbe {
  let peak = 1_000_000;
  return {
    deviceProfile: () => ({ platform: 'test-platform', cores: 4, backend: 'cpu' }),
    cpuTimeMs: () => clock.cpuMs,
    peakMemoryBytes: () => (peak += 1000),
  };
}

const fitTask = encodeMessage({
  type: 'fit-task',
  round: 1,
  taskId: 'f',
  config: {
    round: 1,
    seed: 1,
    localEpochs: 1,
    batchSize: 1,
    learningRate: 0.1,
    optimizer: 'sgd',
    momentum: 0,
  },
  params: global,
});
const evaluateTask = encodeMessage({
  type: 'evaluate-task',
  round: 1,
  taskId: 'e',
  config: { round: 1, batchSize: 1 },
  params: global,
});

describe('resource reports', () => {
  it('come with each fit and evaluation when the runtime has a probe', async () => {
    const clock = { cpuMs: 100 };
    const runtime = new ClientRuntime(trainer(clock), { resources: probe(clock) });
    const fit = decodeMessage(await runtime.handle(fitTask)) as FitResultMessage;
    expect(fit.resources).toEqual({
      fitMs: expect.any(Number),
      cpuMs: 40,
      peakMemoryBytes: 1_001_000,
      bytesIn: fitTask.byteLength,
      bytesOut: 12, // three float32 weights
      device: { platform: 'test-platform', cores: 4, backend: 'cpu' },
    });
    expect(fit.resources!.fitMs).toBeGreaterThanOrEqual(0);
    const evaluation = decodeMessage(await runtime.handle(evaluateTask)) as EvaluateResultMessage;
    expect(evaluation.resources).toMatchObject({ cpuMs: 0, bytesIn: evaluateTask.byteLength, bytesOut: 0 });
  });

  it('are absent without a probe, and on a failed task', async () => {
    const clock = { cpuMs: 0 };
    const plain = decodeMessage(await new ClientRuntime(trainer(clock)).handle(fitTask)) as FitResultMessage;
    expect(plain.resources).toBeUndefined();
    const failing: Trainer = { ...trainer(clock), fit: () => Promise.reject(new Error('out of data')) };
    const failed = decodeMessage(
      await new ClientRuntime(failing, { resources: probe(clock) }).handle(fitTask),
    ) as TaskFailedMessage;
    expect(failed.type).toBe('task-failed');
    expect('resources' in failed).toBe(false);
  });

  it('from a browser probe pass the protocol’s checks (in Node and in Chromium alike)', async () => {
    const clock = { cpuMs: 0 };
    const runtime = new ClientRuntime(trainer(clock), { resources: browserResourceProbe(() => 'webgl') });
    const fit = decodeMessage(await runtime.handle(fitTask)) as FitResultMessage;
    expect(fit.resources!.device!.platform).toMatch(/^browser-/);
    expect(fit.resources!.device!.backend).toBe('webgl');
    expect(fit.resources!.cpuMs).toBeUndefined(); // a browser gives no CPU time
  });
});

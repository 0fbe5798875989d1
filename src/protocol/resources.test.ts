import { describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError, type ResourceReport } from '../core/index.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { frameWithHeader } from './fuzz-corpus.js';
import { kindByType } from './kinds.js';
import type { FitResultMessage } from './messages.js';

const update = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array([0.5, -1]) }]);
const report: ResourceReport = {
  fitMs: 12.5,
  cpuMs: 10,
  peakMemoryBytes: 123_456_789,
  bytesIn: 100,
  bytesOut: 8,
  device: { platform: 'node-20.20.2-linux-x64', cores: 8, memoryBytes: 17_000_000_000, backend: 'wasm' },
};
const fitResult: FitResultMessage = {
  type: 'fit-result',
  round: 2,
  taskId: 't',
  numExamples: 3,
  localSteps: 1,
  metrics: {},
  update,
  resources: report,
};

function failure(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isFlotillaError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a FlotillaError');
}

/** A fit-result frame whose header claims `resources`, as a misbehaving client could send it. */
function claiming(resources: unknown, type = 'fit-result', extra: object = {}): Uint8Array {
  const fields =
    type === 'fit-result'
      ? { round: 1, taskId: 't', numExamples: 1, localSteps: 1, metrics: {}, resources }
      : { round: 1, taskId: 't', protocol: 'secagg', stage: 1, resources, ...extra };
  const sets = type === 'fit-result' ? [{ role: 'update', dtype: 'float32', tensors: [] }] : [];
  const blobs = type === 'fit-result' ? {} : { blobs: [{ role: 'payload', length: 0 }] };
  return frameWithHeader(JSON.stringify({ fields, sets, ...blobs }), kindByType(type)!.code);
}

describe('resource reports on the wire', () => {
  it('travel with a fit result and an evaluation', () => {
    expect((decodeMessage(encodeMessage(fitResult)) as FitResultMessage).resources).toEqual(report);
    const evaluation = {
      type: 'evaluate-result',
      round: 1,
      taskId: 't',
      loss: 0.5,
      numExamples: 3,
      metrics: {},
    };
    const minimal = { fitMs: 3 };
    expect(decodeMessage(encodeMessage({ ...evaluation, resources: minimal } as never))).toMatchObject({
      resources: minimal,
    });
  });

  it('are refused at the sender when not finite, negative or absurd', () => {
    expect(failure(() => encodeMessage({ ...fitResult, resources: { fitMs: NaN } }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'fit-result.resources.fitMs: expected a finite number in [0, 31536000000], got NaN',
    });
    expect(failure(() => encodeMessage({ ...fitResult, resources: { ...report, cpuMs: -1 } })).message).toBe(
      'fit-result.resources.cpuMs: expected a finite number in [0, 31536000000], got -1',
    );
    expect(
      failure(() => encodeMessage({ ...fitResult, resources: { ...report, peakMemoryBytes: 2 ** 60 } }))
        .message,
    ).toMatch(/^fit-result\.resources\.peakMemoryBytes: expected an integer in \[0, 1125899906842624\]/);
  });

  it('are refused at the receiver: bad numbers, odd strings, unknown keys, later stages', () => {
    const cases: [unknown, string][] = [
      [{ fitMs: -5 }, 'resources.fitMs'],
      [{ fitMs: 1, bytesIn: 1.5 }, 'resources.bytesIn'],
      [{ fitMs: 1, device: { platform: 'x\ny' } }, 'resources.device.platform'],
      [{ fitMs: 1, device: { platform: 'p'.repeat(65) } }, 'resources.device.platform'],
      [{ fitMs: 1, device: { platform: 'p', cores: 0 } }, 'resources.device.cores'],
      [{ fitMs: 1, device: { platform: 'p', backend: 'web gl' } }, 'resources.device.backend'],
      [{ fitMs: 1, gpu: 'yes' }, 'resources'],
      ['fast', 'resources'],
    ];
    for (const [resources, field] of cases) {
      const { code, message } = failure(() => decodeMessage(claiming(resources)));
      expect(code).toBe('MESSAGE_INVALID');
      expect(message).toContain(field);
    }
    expect(failure(() => decodeMessage(claiming({ fitMs: 1 }, 'stage-result'))).message).toContain(
      'resources belong to stage 0 (the fit), not stage 1',
    );
  });
});

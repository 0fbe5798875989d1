import { describe, expect, it } from 'vitest';
import { FlotillaError, ParameterSet, type ErrorCode } from '../core/index.js';
import { decodeMessage, decodeParameters, encodeMessage, encodeParameters } from './codec.js';
import {
  DEFAULT_DECODE_LIMITS,
  type FitResultMessage,
  type FitTaskMessage,
  type Message,
} from './messages.js';

const params = ParameterSet.fromTensors([
  { name: 'w', shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'b', shape: [3], values: new Float32Array([-0.5, 0, 0.25]) },
]);

const fitConfig = {
  round: 3,
  seed: 0xffff_ffff,
  localEpochs: 2,
  batchSize: 16,
  learningRate: 0.05,
  optimizer: 'adam',
  momentum: 0.9,
} as const;

const fitTask: FitTaskMessage = { type: 'fit-task', round: 3, taskId: 'r3-c17', config: fitConfig, params };
const fitResult: FitResultMessage = {
  type: 'fit-result',
  round: 3,
  taskId: 'r3-c17',
  numExamples: 120,
  localSteps: 16,
  metrics: { loss: 0.25, accuracy: 0.9 },
  update: params,
};
const messages: Message[] = [
  fitTask,
  fitResult,
  // SCAFFOLD's optional control variate sets ride after the required ones.
  { ...fitTask, config: { ...fitConfig, proximalMu: 0.01, reportInitialLoss: true }, control: params },
  { ...fitResult, controlDelta: params },
  { type: 'evaluate-task', round: 0, taskId: 'e0', config: { round: 0, batchSize: 64 }, params },
  { type: 'evaluate-result', round: 0, taskId: 'e0', loss: 1.5, numExamples: 40, metrics: {} },
  { type: 'task-failed', round: 2, taskId: 't', code: 'NON_FINITE', message: 'loss diverged' },
];

/**
 * Builds a frame by hand from the layout documented in frame.ts, independently of the encoder, so tests can write
 * headers and lengths the encoder would never produce.
 */
function rawFrame(options: {
  code: number;
  header: unknown;
  payload?: number[];
  version?: number;
  flags?: number;
  headerLength?: number;
  payloadLength?: number;
}): Uint8Array {
  const header = new TextEncoder().encode(
    typeof options.header === 'string' ? options.header : JSON.stringify(options.header),
  );
  const payload = new Float32Array(options.payload ?? []);
  const payloadOffset = Math.ceil((16 + header.length) / 8) * 8;
  const out = new Uint8Array(payloadOffset + payload.byteLength);
  const view = new DataView(out.buffer);
  out.set([0x46, 0x4c, 0x54, 0x4c]);
  view.setUint16(4, options.version ?? 1, true);
  out[6] = options.code;
  out[7] = options.flags ?? 0;
  view.setUint32(8, options.headerLength ?? header.length, true);
  view.setUint32(12, options.payloadLength ?? payload.byteLength, true);
  out.set(header, 16);
  payload.forEach((v, i) => view.setFloat32(payloadOffset + 4 * i, v, true));
  return out;
}

function paramsHeader(tensors: { name: string; shape: number[] }[]) {
  return { fields: {}, sets: [{ role: 'parameters', dtype: 'float32', tensors }] };
}

function fitTaskHeader(config: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    fields: { round: 3, taskId: 'x', config: { ...fitConfig, ...config }, ...extra },
    sets: [{ role: 'params', dtype: 'float32', tensors: [{ name: 'w', shape: [1] }] }],
  };
}

function errorOf(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError) return error;
    throw error;
  }
  throw new Error('expected a FlotillaError, nothing was thrown');
}

function expectError(fn: () => unknown, code: ErrorCode, message: string | RegExp): void {
  const e = errorOf(fn);
  expect(e.code).toBe(code);
  if (typeof message === 'string') expect(e.message).toBe(message);
  else expect(e.message).toMatch(message);
}

describe('codec round trip', () => {
  it.each(messages.map((m) => [m.type, m] as const))('%s survives encode/decode unchanged', (_type, msg) => {
    const decoded = decodeMessage(encodeMessage(msg));
    const plain = (m: Message) =>
      JSON.parse(
        JSON.stringify(m, (_k, v: unknown) =>
          v instanceof ParameterSet ? { specs: v.layout.specs, data: [...v.data] } : v,
        ),
      ) as unknown;
    expect(plain(decoded)).toEqual(plain(msg));
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(msg).sort());
  });

  it('writes the documented bytes for a tiny parameter set', () => {
    const p = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array([1, -2]) }]);
    const frame = encodeParameters(p);
    const header =
      '{"fields":{},"sets":[{"role":"parameters","dtype":"float32","tensors":[{"name":"w","shape":[2]}]}]}';
    expect(header.length).toBe(99);
    // 16-byte preamble + 99-byte header = 115, padded to 120; then 8 payload bytes.
    expect(frame.length).toBe(128);
    expect([...frame.subarray(0, 16)]).toEqual([
      0x46, 0x4c, 0x54, 0x4c, 1, 0, 64, 0, 99, 0, 0, 0, 8, 0, 0, 0,
    ]);
    expect(new TextDecoder().decode(frame.subarray(16, 115))).toBe(header);
    expect([...frame.subarray(115, 120)]).toEqual([0, 0, 0, 0, 0]);
    // 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
    expect([...frame.subarray(120)]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
    expect(rawFrame({ code: 64, header, payload: [1, -2] })).toEqual(frame);
  });

  it('decodes into fresh memory, from any byte offset', () => {
    const frame = encodeParameters(params);
    const shifted = new Uint8Array(frame.length + 3);
    shifted.set(frame, 3);
    const decoded = decodeParameters(shifted.subarray(3));
    shifted.fill(0);
    expect([...decoded.data]).toEqual([...params.data]);
    expect(decoded.layout.equals(params.layout)).toBe(true);
  });

  it('round-trips empty and zero-sized parameter sets', () => {
    const empty = ParameterSet.fromTensors([]);
    expect(decodeParameters(encodeParameters(empty)).size).toBe(0);
    const zero = ParameterSet.fromTensors([{ name: 'z', shape: [4, 0], values: new Float32Array(0) }]);
    expect(decodeParameters(encodeParameters(zero)).layout.specs[0]!.shape).toEqual([4, 0]);
  });

  it('refuses to decode a message as parameters and the reverse', () => {
    expectError(
      () => decodeParameters(encodeMessage(fitTask)),
      'MESSAGE_INVALID',
      'frame holds a fit-task message, not a standalone parameter set',
    );
    expectError(
      () => decodeMessage(encodeParameters(params)),
      'MESSAGE_INVALID',
      'frame holds a standalone parameter set, not a message',
    );
  });
});

describe('encoder checks', () => {
  it('names the bad field of an outgoing message', () => {
    expectError(
      () => encodeMessage({ ...fitResult, metrics: { loss: NaN } }),
      'INVALID_ARGUMENT',
      'fit-result.metrics.loss: expected a finite number, got NaN',
    );
    expectError(
      () => encodeMessage({ ...fitTask, config: { ...fitConfig, round: 4 } }),
      'INVALID_ARGUMENT',
      'fit-task: config.round (4) differs from the message round (3)',
    );
    expectError(
      () => encodeMessage({ ...fitResult, update: undefined as unknown as ParameterSet }),
      'INVALID_ARGUMENT',
      'fit-result.update must be a ParameterSet',
    );
  });
});

describe('decoder checks', () => {
  const good = encodeParameters(params);

  it('rejects a wrong magic, version, flags or kind', () => {
    const badMagic = good.slice();
    badMagic[1] = 0x4d;
    expectError(() => decodeParameters(badMagic), 'CODEC_CORRUPT', 'frame does not start with "FLTL"');
    expectError(() => decodeParameters(new Uint8Array([0x46, 0x4c, 0x58])), 'CODEC_CORRUPT', /FLTL/);
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: paramsHeader([]), version: 2 })),
      'CODEC_VERSION',
      'frame format version 2 is not supported (this decoder reads version 1)',
    );
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: paramsHeader([]), flags: 0x80 })),
      'CODEC_VERSION',
      'frame flags 0x80 are not defined in format version 1',
    );
    expectError(
      () => decodeMessage(rawFrame({ code: 9, header: paramsHeader([]) })),
      'CODEC_CORRUPT',
      'frame has unknown message kind code 9',
    );
  });

  it('tells truncated frames from corrupt and oversized ones', () => {
    expectError(
      () => decodeParameters(good.subarray(0, 10)),
      'CODEC_TRUNCATED',
      'frame of 10 bytes is shorter than the 16-byte preamble',
    );
    expectError(
      () => decodeParameters(good.subarray(0, good.length - 1)),
      'CODEC_TRUNCATED',
      `frame has ${good.length - 1} bytes but declares ${good.length}`,
    );
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expectError(
      () => decodeParameters(trailing),
      'CODEC_CORRUPT',
      'frame has 1 bytes after its declared end',
    );
    const huge = rawFrame({ code: 64, header: paramsHeader([]), payloadLength: 0xffff_fff0 });
    expectError(() => decodeParameters(huge), 'CODEC_OVERSIZED', /more than the limit of 268435456 bytes/);
    const generous = { ...DEFAULT_DECODE_LIMITS, maxFrameBytes: 2 ** 33 };
    expectError(
      () => decodeParameters(huge, generous),
      'CODEC_TRUNCATED',
      `frame has ${huge.length} bytes but declares ${huge.length + 0xffff_fff0}`,
    );
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: paramsHeader([]), headerLength: 0xffff_ffff })),
      'CODEC_OVERSIZED',
      'frame header of 4294967295 bytes exceeds the limit of 1048576 bytes',
    );
    expectError(
      () => decodeParameters(good, { ...DEFAULT_DECODE_LIMITS, maxFrameBytes: 100 }),
      'CODEC_OVERSIZED',
      `frame of ${good.length} bytes exceeds the limit of 100 bytes`,
    );
    expectError(
      () => decodeParameters(good, { ...DEFAULT_DECODE_LIMITS, maxTensors: 1 }),
      'CODEC_OVERSIZED',
      'parameters parameters has 2 tensors, more than the limit of 1',
    );
  });

  it('rejects bad padding, partial floats, bad UTF-8 and bad JSON', () => {
    const header = JSON.stringify(paramsHeader([]));
    const padded = rawFrame({ code: 64, header });
    padded[16 + header.length] = 1;
    expectError(() => decodeParameters(padded), 'CODEC_CORRUPT', /padding byte at offset \d+ is not zero/);
    const partial = rawFrame({ code: 64, header, payload: [1] });
    new DataView(partial.buffer).setUint32(12, 3, true);
    expectError(
      () => decodeParameters(partial.subarray(0, partial.length - 1)),
      'CODEC_CORRUPT',
      'parameters payload has 3 bytes for its parameter sets, not a whole number of float32 values',
    );
    const notUtf8 = rawFrame({ code: 64, header: 'xx' });
    notUtf8[16] = 0xff;
    expectError(() => decodeParameters(notUtf8), 'CODEC_CORRUPT', /not valid UTF-8 JSON/);
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: '{"fields":' })),
      'CODEC_CORRUPT',
      /not valid UTF-8 JSON/,
    );
    // Deep nesting must not overflow the stack.
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(() => decodeParameters(rawFrame({ code: 64, header: deep }))).toThrow(FlotillaError);
  });

  it('checks the tensor layout against the payload before allocating', () => {
    expectError(
      () =>
        decodeParameters(
          rawFrame({ code: 64, header: paramsHeader([{ name: 'w', shape: [3] }]), payload: [1, 2] }),
        ),
      'CODEC_CORRUPT',
      'parameters parameters tensor "w" of shape [3] needs more float32 values than the payload has left (2)',
    );
    expectError(
      () =>
        decodeParameters(
          rawFrame({ code: 64, header: paramsHeader([{ name: 'w', shape: [1] }]), payload: [1, 2] }),
        ),
      'CODEC_CORRUPT',
      'parameters payload holds 1 float32 values more than its tensors declare',
    );
    const enormous = paramsHeader([{ name: 'w', shape: [2 ** 40, 2 ** 40, 2 ** 40] }]);
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: enormous })),
      'CODEC_CORRUPT',
      /needs more/,
    );
    // A zero dimension makes any other dimension harmless.
    const zero = paramsHeader([{ name: 'w', shape: [2 ** 40, 0] }]);
    expect(decodeParameters(rawFrame({ code: 64, header: zero })).size).toBe(0);
    expectError(
      () => decodeParameters(rawFrame({ code: 64, header: paramsHeader([{ name: 'w', shape: [-1] }]) })),
      'MESSAGE_INVALID',
      'parameters header.sets[0].tensors[0].shape[0]: expected an integer >= 0, got -1',
    );
    expectError(
      () =>
        decodeParameters(
          rawFrame({
            code: 64,
            header: paramsHeader([
              { name: 'a', shape: [1] },
              { name: 'a', shape: [1] },
            ]),
            payload: [1, 2],
          }),
        ),
      'MESSAGE_INVALID',
      'parameters parameters has two tensors named "a"',
    );
    expectError(
      () => decodeMessage(rawFrame({ code: 1, header: { ...fitTaskHeader({}), sets: [] } })),
      'MESSAGE_INVALID',
      'a fit-task frame carries parameter sets [params] (then optionally control), got []',
    );
    const set = (role: string) => ({ role, dtype: 'float32', tensors: [{ name: 'w', shape: [1] }] });
    for (const roles of [
      ['params', 'control', 'control'],
      ['control', 'params'],
      ['params', 'controlDelta'],
    ]) {
      expectError(
        () =>
          decodeMessage(
            rawFrame({
              code: 1,
              header: { ...fitTaskHeader({}), sets: roles.map(set) },
              payload: roles.map(() => 0),
            }),
          ),
        'MESSAGE_INVALID',
        `a fit-task frame carries parameter sets [params] (then optionally control), got [${roles.join(', ')}]`,
      );
    }
  });

  it('names the tensor holding a non-finite value', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const header = paramsHeader([
        { name: 'a', shape: [2] },
        { name: 'b', shape: [2] },
      ]);
      expectError(
        () => decodeParameters(rawFrame({ code: 64, header, payload: [0, 1, 2, bad] })),
        'NON_FINITE',
        `parameters parameters tensor "b" holds a non-finite value (${bad}) at flat index 3`,
      );
    }
  });

  it('validates every message field with a precise path', () => {
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ learningRate: 0 }, 'fit-task.config.learningRate: expected a finite number > 0, got 0'],
      [{ localEpochs: -1 }, 'fit-task.config.localEpochs: expected a finite number > 0, got -1'],
      [{ batchSize: 1.5 }, 'fit-task.config.batchSize: expected an integer >= 1, got 1.5'],
      [{ seed: 2 ** 32 }, 'fit-task.config.seed: expected an integer in [0, 4294967295], got 4294967296'],
      [{ optimizer: 'rmsprop' }, 'fit-task.config.optimizer: expected one of "sgd", "adam", got "rmsprop"'],
      [{ momentum: 1 }, 'fit-task.config.momentum: expected a finite number in [0, 1), got 1'],
      [
        { dropout: 0.5 },
        // FitConfig grows optional fields (DP, strategies): pin the start of the list, not all of it.
        /^fit-task\.config\.dropout: unknown key \(expected one of: round, seed, localEpochs, batchSize, learningRate, optimizer, momentum[,)]/,
      ],
    ];
    for (const [config, message] of cases) {
      expectError(
        () => decodeMessage(rawFrame({ code: 1, header: fitTaskHeader(config), payload: [0] })),
        'MESSAGE_INVALID',
        message,
      );
    }
    expectError(
      () =>
        decodeMessage(
          rawFrame({ code: 1, header: fitTaskHeader({}, { taskId: 'has space' }), payload: [0] }),
        ),
      'MESSAGE_INVALID',
      'fit-task.taskId: expected a string of 1 to 128 characters matching printable ASCII without spaces, got "has space"',
    );
    expectError(
      () => decodeMessage(rawFrame({ code: 1, header: fitTaskHeader({ round: 2 }), payload: [0] })),
      'MESSAGE_INVALID',
      'fit-task: config.round (2) differs from the message round (3)',
    );
    const result = {
      fields: { round: 1, taskId: 't', numExamples: -3, localSteps: 1, metrics: {} },
      sets: [{ role: 'update', dtype: 'float32', tensors: [] }],
    };
    expectError(
      () => decodeMessage(rawFrame({ code: 2, header: result })),
      'MESSAGE_INVALID',
      'fit-result.numExamples: expected an integer >= 0, got -3',
    );
    const metrics = { ...result, fields: { ...result.fields, numExamples: 3, metrics: { acc: '0.9' } } };
    expectError(
      () => decodeMessage(rawFrame({ code: 2, header: metrics })),
      'MESSAGE_INVALID',
      'fit-result.metrics.acc: expected a finite number, got "0.9"',
    );
    const dtype = { ...result, sets: [{ role: 'update', dtype: 'float64', tensors: [] }] };
    expectError(
      () => decodeMessage(rawFrame({ code: 2, header: dtype })),
      'MESSAGE_INVALID',
      'fit-result header.sets[0].dtype: expected "float32", got "float64"',
    );
  });
});

describe('stage messages (opaque blobs)', () => {
  const payload = Uint8Array.from({ length: 37 }, (_, i) => (i * 89) & 0xff);
  const stageTask: Message = {
    type: 'stage-task',
    round: 4,
    taskId: '4.1.2.s1',
    protocol: 'secagg',
    stage: 1,
    payload,
  };
  const stageZero: Message = {
    type: 'stage-result',
    round: 4,
    taskId: '4.1.2',
    protocol: 'secagg',
    stage: 0,
    numExamples: 12,
    localSteps: 3,
    metrics: { loss: 0.5 },
    payload,
  };

  it('round-trips payloads of any length, byte for byte', () => {
    for (const message of [stageTask, stageZero, { ...stageTask, payload: new Uint8Array(0) }]) {
      const decoded = decodeMessage(encodeMessage(message));
      expect(decoded).toEqual(message);
    }
  });

  it('refuses a blob that disagrees with the payload or the kind', () => {
    const frame = encodeMessage(stageTask);
    // One byte short: the blob declares more than the frame holds.
    expectError(() => decodeMessage(frame.subarray(0, frame.length - 1)), 'CODEC_TRUNCATED', /declares/);
    const noBlob = rawFrame({
      code: 6,
      header: { fields: { round: 4, taskId: 't', protocol: 'secagg', stage: 1 }, sets: [] },
    });
    expectError(
      () => decodeMessage(noBlob),
      'MESSAGE_INVALID',
      'a stage-task frame carries blobs [payload], got []',
    );
    const oversized = rawFrame({
      code: 6,
      header: {
        fields: { round: 4, taskId: 't', protocol: 'secagg', stage: 1 },
        sets: [],
        blobs: [{ role: 'payload', length: 9 }],
      },
      payload: [1],
    });
    expectError(
      () => decodeMessage(oversized),
      'CODEC_CORRUPT',
      /blobs declare 9 bytes, more than the 4-byte payload/,
    );
    expectError(
      () => encodeMessage({ ...stageZero, stage: 2 } as Message),
      'INVALID_ARGUMENT',
      /belong to stage 0, not stage 2/,
    );
    expectError(
      () => encodeMessage({ ...stageTask, protocol: 'other' } as unknown as Message),
      'INVALID_ARGUMENT',
      /protocol/,
    );
  });
});

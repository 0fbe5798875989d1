/**
 * Fuzzing the decoders: whatever bytes arrive, they must either decode or throw a FlotillaError with a codec or
 * validation code, never a TypeError, RangeError or an out-of-memory crash. Seeded so failures reproduce.
 */
import { describe, expect, it } from 'vitest';
import { FlotillaError, ParameterSet, Rng } from '../core/index.js';
import { decodeMessage, decodeParameters, encodeMessage, encodeParameters } from './codec.js';
import type { DecodeLimits, Message } from './messages.js';

const EXPECTED_CODES = new Set([
  'CODEC_TRUNCATED',
  'CODEC_CORRUPT',
  'CODEC_OVERSIZED',
  'CODEC_VERSION',
  'MESSAGE_INVALID',
  'NON_FINITE',
]);

// Small limits keep huge declared lengths cheap to reject; one case runs with the defaults.
const LIMITS: DecodeLimits = { maxFrameBytes: 1 << 20, maxHeaderBytes: 1 << 14, maxTensors: 8 };

const params = ParameterSet.fromTensors([
  { name: 'w', shape: [3, 2], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'b', shape: [2], values: new Float32Array([0.5, -0.5]) },
]);
const messages: Message[] = [
  {
    type: 'fit-task',
    round: 1,
    taskId: 'a',
    config: {
      round: 1,
      seed: 7,
      localEpochs: 1,
      batchSize: 8,
      learningRate: 0.1,
      optimizer: 'sgd',
      momentum: 0,
    },
    params,
  },
  {
    type: 'fit-result',
    round: 1,
    taskId: 'a',
    numExamples: 9,
    localSteps: 2,
    metrics: { l: 1 },
    update: params,
  },
  { type: 'evaluate-result', round: 1, taskId: 'a', loss: 0.1, numExamples: 9, metrics: {} },
  { type: 'task-failed', round: 1, taskId: 'a', code: 'X', message: 'boom' },
];
const seeds: Uint8Array[] = [encodeParameters(params), ...messages.map((m) => encodeMessage(m))];

function decodeBoth(bytes: Uint8Array, limits: DecodeLimits = LIMITS): void {
  for (const decode of [decodeMessage, decodeParameters]) {
    try {
      decode(bytes, limits);
    } catch (error) {
      if (!(error instanceof FlotillaError) || !EXPECTED_CODES.has(error.code)) {
        throw new Error(
          `decoder threw ${String(error)} on input ${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`,
        );
      }
    }
  }
}

describe('decoder fuzzing', () => {
  const rng = new Rng(20240611);

  it('survives every truncation of every seed frame', () => {
    for (const frame of seeds) for (let n = 0; n < frame.length; n++) decodeBoth(frame.subarray(0, n));
  });

  it('survives random byte flips', () => {
    for (let iteration = 0; iteration < 3000; iteration++) {
      const frame = seeds[rng.nextInt(seeds.length)]!.slice();
      const flips = 1 + rng.nextInt(4);
      for (let f = 0; f < flips; f++) frame[rng.nextInt(frame.length)] = rng.nextInt(256);
      decodeBoth(frame);
    }
  });

  it('survives random garbage, with and without a valid preamble', () => {
    for (let iteration = 0; iteration < 2000; iteration++) {
      const bytes = new Uint8Array(rng.nextInt(300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextInt(256);
      if (iteration % 2 === 0 && bytes.length >= 8) {
        bytes.set([0x46, 0x4c, 0x54, 0x4c, 1, 0, 1 + rng.nextInt(5), 0]);
      }
      decodeBoth(bytes);
    }
  });

  it('survives huge or inconsistent declared lengths', () => {
    const extremes = [0, 1, 3, 4, 7, 8, 0x7fff_ffff, 0x8000_0000, 0xffff_fffc, 0xffff_ffff];
    for (const frame of seeds) {
      for (const offset of [8, 12]) {
        for (const value of [...extremes, rng.nextUint32()]) {
          const copy = frame.slice();
          new DataView(copy.buffer).setUint32(offset, value, true);
          decodeBoth(copy);
          decodeBoth(copy, { maxFrameBytes: 2 ** 40, maxHeaderBytes: 2 ** 40, maxTensors: 1e9 });
        }
      }
    }
  });

  it('still decodes the unmodified seeds (the fuzzer is not just hitting a broken decoder)', () => {
    expect(decodeParameters(seeds[0]!, LIMITS).size).toBe(8);
    expect(seeds.slice(1).map((f) => decodeMessage(f, LIMITS).type)).toEqual([
      'fit-task',
      'fit-result',
      'evaluate-result',
      'task-failed',
    ]);
  });
});

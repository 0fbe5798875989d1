/**
 * Hostile frames for the decoders, shared by the fuzz tests (every one must be refused with a typed error) and the
 * codec benchmark (the slowest refusal is reported): truncations, byte flips and garbage from a seeded generator,
 * extreme declared lengths, and headers that nest deeply (which JSON.parse takes hundreds of milliseconds to refuse
 * without the pre-parse depth check). Not part of the library's API.
 */
import { ParameterSet, Rng } from '../core/index.js';
import { encodeMessage, encodeParameters } from './codec.js';
import { FRAME_MAGIC, FRAME_VERSION, PREAMBLE_BYTES } from './frame.js';
import { kindByType } from './kinds.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, type Message } from './messages.js';

/** Small limits keep huge declared lengths cheap to reject; some cases run with the defaults. */
export const FUZZ_LIMITS: DecodeLimits = { maxFrameBytes: 1 << 20, maxHeaderBytes: 1 << 14, maxTensors: 8 };

export interface FuzzCase {
  readonly bytes: Uint8Array;
  readonly limits: DecodeLimits;
}

const params = ParameterSet.fromTensors([
  { name: 'w', shape: [3, 2], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
  { name: 'b', shape: [2], values: new Float32Array([0.5, -0.5]) },
]);

export const SEED_MESSAGES: readonly Message[] = [
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

/** Valid frames: a standalone parameter set, then one per seed message. */
export function seedFrames(): Uint8Array[] {
  return [encodeParameters(params), ...SEED_MESSAGES.map((m) => encodeMessage(m))];
}

export function* truncations(seeds: readonly Uint8Array[]): Generator<FuzzCase> {
  for (const frame of seeds) {
    for (let n = 0; n < frame.length; n++) yield { bytes: frame.subarray(0, n), limits: FUZZ_LIMITS };
  }
}

export function* byteFlips(seeds: readonly Uint8Array[], rng: Rng, count: number): Generator<FuzzCase> {
  for (let iteration = 0; iteration < count; iteration++) {
    const frame = seeds[rng.nextInt(seeds.length)]!.slice();
    const flips = 1 + rng.nextInt(4);
    for (let f = 0; f < flips; f++) frame[rng.nextInt(frame.length)] = rng.nextInt(256);
    yield { bytes: frame, limits: FUZZ_LIMITS };
  }
}

/** Random bytes, every other one behind a valid preamble start. */
export function* garbage(rng: Rng, count: number): Generator<FuzzCase> {
  for (let iteration = 0; iteration < count; iteration++) {
    const bytes = new Uint8Array(rng.nextInt(300));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextInt(256);
    if (iteration % 2 === 0 && bytes.length >= 8) {
      bytes.set([0x46, 0x4c, 0x54, 0x4c, 1, 0, 1 + rng.nextInt(5), 0]);
    }
    yield { bytes, limits: FUZZ_LIMITS };
  }
}

/** Seeds whose header or payload length is rewritten to extremes, under small limits and under near-none. */
export function* extremeLengths(seeds: readonly Uint8Array[], rng: Rng): Generator<FuzzCase> {
  const extremes = [0, 1, 3, 4, 7, 8, 0x7fff_ffff, 0x8000_0000, 0xffff_fffc, 0xffff_ffff];
  const unbounded: DecodeLimits = { maxFrameBytes: 2 ** 40, maxHeaderBytes: 2 ** 40, maxTensors: 1e9 };
  for (const frame of seeds) {
    for (const offset of [8, 12]) {
      for (const value of [...extremes, rng.nextUint32()]) {
        const copy = frame.slice();
        new DataView(copy.buffer).setUint32(offset, value, true);
        yield { bytes: copy, limits: FUZZ_LIMITS };
        yield { bytes: copy, limits: unbounded };
      }
    }
  }
}

/** A frame (fit-result unless `code` says otherwise) with `header` as its JSON header, unchecked, and no payload. */
export function frameWithHeader(header: string, code = kindByType('fit-result')!.code): Uint8Array {
  const json = new TextEncoder().encode(header);
  const payloadOffset = Math.ceil((PREAMBLE_BYTES + json.length) / 8) * 8;
  const out = new Uint8Array(payloadOffset);
  const view = new DataView(out.buffer);
  out.set(FRAME_MAGIC, 0);
  view.setUint16(4, FRAME_VERSION, true);
  view.setUint8(6, code);
  view.setUint32(8, json.length, true);
  view.setUint32(12, 0, true);
  out.set(json, PREAMBLE_BYTES);
  return out;
}

/**
 * Headers that nest deeply, up to the default 1 MiB header limit: unbalanced brackets, balanced arrays inside
 * `fields`, and nesting hidden after brackets inside strings (which must not count).
 */
export function deepHeaders(): FuzzCase[] {
  const max = DEFAULT_DECODE_LIMITS.maxHeaderBytes;
  const deep = (n: number) => `{"fields":{"metrics":${'['.repeat(n)}${']'.repeat(n)}},"sets":[]}`;
  const headers = [
    '['.repeat(max),
    '{"a":'.repeat(Math.floor(max / 5)),
    deep(Math.floor((max - 64) / 2)),
    deep(33),
    `{"fields":{"taskId":"${'['.repeat(1000)}"},"sets":${'['.repeat(100)}`,
  ];
  return headers.map((h) => ({ bytes: frameWithHeader(h), limits: DEFAULT_DECODE_LIMITS }));
}

/** The server's default header limit (SessionLimits.maxHeaderBytes): the largest header a peer can make it parse. */
export const SERVER_HEADER_BYTES = 64 * 1024;

/**
 * Shallow headers as large as the server accepts, each refused only after parsing: a huge metrics object, a huge
 * array, a huge string, thousands of tensors past the tensor limit, and a syntax error at the very end.
 */
export function wideHeaders(): FuzzCase[] {
  const room = SERVER_HEADER_BYTES - 256;
  const keys: string[] = [];
  for (let i = 0, length = 0; length < room; i++) {
    keys.push(`"k${i}":1`);
    length += keys.at(-1)!.length + 1;
  }
  const zeros = new Array<string>(Math.floor(room / 2)).fill('0').join(',');
  const tensor = '{"name":"w","shape":[1,1]}';
  const tensors = new Array<string>(Math.floor(room / (tensor.length + 1))).fill(tensor).join(',');
  const headers = [
    `{"fields":{"round":1,"taskId":"a","numExamples":1,"localSteps":1,"metrics":{${keys.join(',')}}},"sets":[]}`,
    `{"fields":{"round":1,"x":[${zeros}]},"sets":[]}`,
    `{"fields":{"round":1,"taskId":"${'a'.repeat(room)}"},"sets":[]}`,
    `{"fields":{},"sets":[{"role":"update","dtype":"float32","tensors":[${tensors}]}]}`,
    `{"fields":{"round":1,"x":[${zeros}]},"sets":[] x`,
  ];
  const limits = { ...DEFAULT_DECODE_LIMITS, maxHeaderBytes: SERVER_HEADER_BYTES };
  return headers.map((h) => ({ bytes: frameWithHeader(h), limits }));
}

/** Every case above, from one seed: what the benchmark times. */
export function fuzzCorpus(seed = 20240611): FuzzCase[] {
  const rng = new Rng(seed);
  const seeds = seedFrames();
  return [
    ...truncations(seeds),
    ...byteFlips(seeds, rng, 3000),
    ...garbage(rng, 2000),
    ...extremeLengths(seeds, rng),
    ...deepHeaders(),
    ...wideHeaders(),
  ];
}

/**
 * Throughput of the hot paths every round goes through: encoding and decoding a parameter frame (with full
 * validation), and folding updates into FedAvg's streaming accumulator. Also the cost of refusing hostile frames:
 * the slowest refusal over the fuzz corpus, which the decoder's bounds must keep to a few milliseconds.
 */
import { ParameterSet, Rng, WeightedMeanAccumulator } from '../src/core/index.js';
import { decodeMessage, decodeParameters, encodeParameters } from '../src/protocol/index.js';
import { fuzzCorpus } from '../src/protocol/fuzz-corpus.js';

export const name = 'core';

function randomParameters(size: number, seed: number): ParameterSet {
  const rng = new Rng(seed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal();
  return ParameterSet.fromTensors([{ name: 'w', shape: [size], values }]);
}

/** Median seconds of `repeats` timed calls after one warm-up call. */
function time(repeats: number, fn: () => void): number {
  fn();
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    fn();
    samples.push((performance.now() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

/**
 * The slowest decodeMessage refusal over the fuzz corpus, in ms. Each case counts its fastest of 3 timings, so a
 * garbage-collection pause that lands on a 20-byte frame does not pass for the cost of refusing it.
 */
function slowestRejection(): { cases: number; slowestRejectionMs: number } {
  const corpus = fuzzCorpus();
  const refuse = (bytes: Uint8Array, limits: Parameters<typeof decodeMessage>[1]) => {
    try {
      decodeMessage(bytes, limits);
    } catch {
      // every refusal is what is timed; the fuzz tests check that each is a typed error
    }
  };
  let slowest = 0;
  for (const c of corpus) {
    let fastest = Infinity;
    for (let repeat = 0; repeat < 3; repeat++) {
      const start = performance.now();
      refuse(c.bytes, c.limits);
      fastest = Math.min(fastest, performance.now() - start);
    }
    slowest = Math.max(slowest, fastest);
  }
  return { cases: corpus.length, slowestRejectionMs: slowest };
}

export async function run(): Promise<object> {
  const size = 1_000_000;
  const params = randomParameters(size, 1);
  const bytes = params.byteLength;
  const frame = encodeParameters(params);
  const encodeSeconds = time(30, () => encodeParameters(params));
  const decodeSeconds = time(30, () => decodeParameters(frame));

  const updates = Array.from({ length: 10 }, (_, k) => randomParameters(size, 100 + k));
  const accumulator = new WeightedMeanAccumulator(params.layout);
  const foldSeconds = time(5, () => {
    for (const u of updates) accumulator.add(u, 1);
  });
  return {
    parameters: size,
    frameBytes: frame.length,
    encodeGBps: bytes / encodeSeconds / 1e9,
    decodeGBps: bytes / decodeSeconds / 1e9,
    fedavgFoldGBps: (bytes * updates.length) / foldSeconds / 1e9,
    fuzzCorpus: slowestRejection(),
  };
}

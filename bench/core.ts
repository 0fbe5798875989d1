/**
 * Throughput of the hot paths every round goes through: encoding and decoding a parameter frame (with full
 * validation), and folding updates into FedAvg's streaming accumulator.
 */
import { ParameterSet, Rng, WeightedMeanAccumulator } from '../src/core/index.js';
import { decodeParameters, encodeParameters } from '../src/protocol/index.js';

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
  };
}

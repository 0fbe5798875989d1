/**
 * Homomorphic-encryption aggregation benchmark (JSON on stdout): one CKKS round (default parameters: N = 8192,
 * 60 + 40 + 40 + 60 bits, scale 2^40) with d = 100,000 and 10 clients: client encryption and decryption time, the
 * server's time to validate and add every update, bytes per client next to the plain float32 update, and the error
 * of the decrypted weighted mean. Six more rounds on the same aggregator show whether memory grows per round.
 *
 *   npm run bench -- he
 */
import { Rng } from '../src/core/index.js';
import {
  HeAggregator,
  ciphertextCount,
  decryptAggregate,
  encryptUpdate,
  generateKeys,
  loadSeal,
  saveEncryptionParameters,
  saveKeys,
} from '../src/privacy/he/index.js';

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function timed<T>(work: () => T): [T, number] {
  const started = performance.now();
  const result = work();
  return [result, performance.now() - started];
}

export const name = 'he';

export async function run(): Promise<object> {
  const n = 10;
  const d = 100_000;
  const [seal, loadMs] = await (async () => {
    const started = performance.now();
    const s = await loadSeal();
    return [s, performance.now() - started] as const;
  })();
  const [keys, keygenMs] = timed(() => generateKeys(seal));
  const parameters = saveEncryptionParameters(keys.ctx);
  const rng = new Rng(2024);
  const updates = Array.from({ length: n }, () => Float32Array.from({ length: d }, () => rng.normal() * 0.3));
  const weights = Array.from({ length: n }, (_, k) => 1 + ((k * 37) % 50));
  const totalWeight = weights.reduce((a, b) => a + b, 0);

  encryptUpdate(keys, updates[0]!.subarray(0, 4096), 1); // warm-up
  const [blobs, encryptMs] = timed(() => updates.map((u, k) => encryptUpdate(keys, u, weights[k]!)));
  const server = await HeAggregator.create({ parameters, dimension: d, seal });
  const [, addMs] = timed(() => blobs.forEach((b) => server.add(b)));
  const [sum, resultMs] = timed(() => server.result());
  const [decrypted, decryptMs] = timed(() => decryptAggregate(keys, sum, d));

  const reference = new Float64Array(d);
  updates.forEach((u, k) => u.forEach((v, j) => (reference[j]! += (v * weights[k]!) / totalWeight)));
  let maxDiff = 0;
  let maxAbs = 0;
  reference.forEach((v, j) => {
    maxDiff = Math.max(maxDiff, Math.abs(decrypted[j]! / totalWeight - v));
    maxAbs = Math.max(maxAbs, Math.abs(v));
  });

  // Memory per round: six more rounds on the same aggregator (reset between them). The resident size should level
  // off rather than climb: WASM memory never shrinks, but freed ciphertexts are reused.
  const rssMb: number[] = [];
  for (let r = 0; r < 6; r++) {
    server.reset();
    blobs.forEach((b) => server.add(b));
    server.result();
    rssMb.push(round(process.memoryUsage().rss / 2 ** 20, 0));
  }
  server.delete();

  const bytesPerClient = blobs[0]!.length;
  const plainBytes = 4 * d;
  const keyFileBytes = saveKeys(keys).length;
  const params = keys.ctx.params;
  keys.delete();
  return {
    n,
    d,
    params,
    sealLoadMs: round(loadMs),
    keygenMs: round(keygenMs),
    ciphertextsPerUpdate: ciphertextCount(d, params),
    clientEncryptMsPerClient: round(encryptMs / n),
    serverAddMsPerRound: round(addMs),
    serverAddMsPerUpdate: round(addMs / n),
    serverResultMs: round(resultMs),
    clientDecryptMs: round(decryptMs),
    plainUpdateBytes: plainBytes,
    bytesPerClient,
    expansionOverPlain: round(bytesPerClient / plainBytes, 3),
    resultBytes: sum.length,
    resultExpansionOverPlain: round(sum.length / plainBytes, 3),
    encryptionParameterBytes: parameters.length,
    keyFileBytes,
    maxRelativeError: Number((maxDiff / maxAbs).toPrecision(3)),
    maxRelativeErrorIsRelativeTo: 'max |coordinate| of the plain float64 weighted mean',
    rssMbAfterEachOfSixMoreRounds: rssMb,
  };
}

/**
 * Secure-aggregation benchmark (JSON on stdout): mask expansion throughput on one core, then simulated SecAgg+ rounds
 * with client time, server time and bytes per client per stage, next to the same round in plain FedAvg (the client
 * encoding its float32 update, the server decoding and folding every update).
 *
 *   npm run bench -- secagg                          # d = 1e5 with n = 10, 100, 500; d = 1e6 with n = 10, 100
 *   FLOTILLA_BENCH_LARGE=1 npm run bench -- secagg   # also d = 1e6 with n = 500
 */
import { ParameterLayout, ParameterSet, Rng, WeightedMeanAccumulator } from '../src/core/index.js';
import { decodeMessage, encodeMessage } from '../src/protocol/index.js';
import {
  applyMask,
  maskStream,
  runSecureAggregation,
  type StageReport,
} from '../src/privacy/secagg/index.js';
import { simdMaskAddAvailable } from '../src/privacy/secagg/mask-add.js';
import { applyMasks } from '../src/privacy/secagg/prg.js';

const CONFIG = { clippingRange: 1, quantizationBits: 12, maxWeight: 256, modulusBits: 32 };

const REPETITIONS = 7;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * GB per second of wall time, and per second of CPU time over all threads (= per core: AES runs on WebCrypto's
 * threads, the add on the main thread), as medians over REPETITIONS timed runs after one warm-up.
 */
async function throughput(bytes: number, work: () => Promise<void>): Promise<Record<string, number>> {
  await work(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    await work();
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpuStart);
    wall.push(bytes / seconds / 1e9);
    cpu.push(bytes / ((used.user + used.system) / 1e6) / 1e9);
  }
  return {
    bytes,
    repetitions: REPETITIONS,
    gbPerSecondWall: round(median(wall), 3),
    gbPerCpuSecond: round(median(cpu), 3),
    gbPerCpuSecondMin: round(Math.min(...cpu), 3),
    gbPerCpuSecondMax: round(Math.max(...cpu), 3),
  };
}

async function maskThroughput(): Promise<Record<string, unknown>> {
  const words = 1 << 22; // 16 MiB per pass
  const passes = 8;
  const seed = crypto.getRandomValues(new Uint8Array(32));
  const acc = new Uint32Array(words);
  const expansion = await throughput(passes * words * 4, async () => {
    for (let i = 0; i < passes; i++) for await (const chunk of maskStream(seed, words)) void chunk;
  });
  const expansionPlusAdd = await throughput(passes * words * 4, async () => {
    for (let i = 0; i < passes; i++) await applyMask(acc, seed, i % 2 === 0 ? 1 : -1);
  });
  // Eight seeds through applyMasks, which adds several streams per pass over the vector (bytes are per mask).
  const masks = Array.from({ length: 8 }, (_, i) => ({
    seed: crypto.getRandomValues(new Uint8Array(32)),
    sign: (i % 2 === 0 ? 1 : -1) as 1 | -1,
  }));
  const expansionPlusAddEightSeedsOnePass = await throughput(masks.length * words * 4, () =>
    applyMasks(acc, masks),
  );
  return {
    simdAdd: simdMaskAddAvailable(),
    // The PRG alone: AES-256-CTR keystream from WebCrypto.
    expansion,
    // Expansion plus adding into a vector modulo 2^32 (alternately adding and subtracting): what masking and
    // unmasking cost per mask.
    expansionPlusAdd,
    expansionPlusAddEightSeedsOnePass,
    // The headline numbers: median GB per CPU second (per core).
    gbPerCpuSecond: {
      expansion: expansion['gbPerCpuSecond'],
      expansionPlusAdd: expansionPlusAdd['gbPerCpuSecond'],
    },
  };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * The same round without secure aggregation: a client encodes its fit-result frame, the server decodes each frame
 * (with full validation) and folds it into the FedAvg accumulator.
 */
function plainFedAvg(update: Float32Array, weights: readonly number[]): Record<string, number> {
  const layout = new ParameterLayout([{ name: 'update', shape: [update.length] }]);
  const params = new ParameterSet(layout, update);
  const encode = (numExamples: number) =>
    encodeMessage({
      type: 'fit-result',
      round: 1,
      taskId: 't',
      numExamples,
      localSteps: 1,
      metrics: {},
      update: params,
    });
  const clientStart = performance.now();
  const frame = encode(weights[0]!);
  const clientMs = performance.now() - clientStart;
  const accumulator = new WeightedMeanAccumulator(layout);
  const serverStart = performance.now();
  for (const weight of weights) {
    const message = decodeMessage(frame);
    if (message.type !== 'fit-result') throw new Error('expected a fit-result');
    accumulator.addFinite(message.update, weight);
  }
  return {
    clientMs: round(clientMs),
    serverMs: round(performance.now() - serverStart),
    bytesPerClient: frame.length,
  };
}

async function protocolRun(n: number, d: number, dropoutFraction: number): Promise<Record<string, unknown>> {
  const rng = new Rng(n * 7 + d);
  // One update shared by every client keeps memory at one vector however large n is; the protocol copies nothing.
  const update = Float32Array.from({ length: d }, () => rng.normal() * 0.3);
  const updates = Array.from({ length: n }, () => update);
  const weights = Array.from({ length: n }, () => 1 + rng.nextInt(200));
  const dropped = rng.sample(
    Array.from({ length: n }, (_, i) => i),
    Math.round(n * dropoutFraction),
  );
  const started = performance.now();
  const result = await runSecureAggregation({ updates, weights, config: CONFIG, dropouts: { 2: dropped } });
  const wallSeconds = (performance.now() - started) / 1000;
  if (result.status !== 'completed') throw new Error(`round aborted: ${result.reason}`);
  const plainBytes = 4 * d;
  const perClient = (s: StageReport) => s.uploadBytesPerClient + s.downloadBytesPerClient;
  const totalPerClient = result.stages.reduce((sum, s) => sum + perClient(s), 0);
  return {
    n,
    d,
    neighbours: result.neighbours,
    threshold: result.threshold,
    droppedAtMaskedInput: dropped.length,
    wallSeconds: round(wallSeconds),
    plainUpdateBytes: plainBytes,
    bytesPerClient: Math.round(totalPerClient),
    expansionOverPlain: round(totalPerClient / plainBytes, 4),
    clientMsTotal: round(result.stages.reduce((sum, s) => sum + s.clientMsPerClient, 0)),
    serverMsTotal: round(result.stages.reduce((sum, s) => sum + s.serverMs, 0)),
    plainFedAvg: plainFedAvg(update, weights),
    stages: result.stages.map((s) => ({
      stage: s.name,
      survivors: s.survivors,
      uploadBytesPerClient: Math.round(s.uploadBytesPerClient),
      downloadBytesPerClient: Math.round(s.downloadBytesPerClient),
      clientMsPerClient: round(s.clientMsPerClient),
      serverMs: round(s.serverMs),
    })),
  };
}

export const name = 'secagg';

/** d = 1e5 with n = 10, 100 (also 5% dropouts), 500; d = 1e6 with n = 10, 100. FLOTILLA_BENCH_LARGE=1 adds n = 500, d = 1e6. */
export async function run(): Promise<object> {
  const large = process.env.FLOTILLA_BENCH_LARGE === '1';
  const runs: [number, number, number][] = [
    [10, 100_000, 0],
    [100, 100_000, 0],
    [100, 100_000, 0.05],
    [500, 100_000, 0],
    [10, 1_000_000, 0],
    [100, 1_000_000, 0],
    ...(large ? ([[500, 1_000_000, 0]] as [number, number, number][]) : []),
  ];
  const rounds: unknown[] = [];
  const maskExpansion = await maskThroughput();
  for (const [n, d, drop] of runs) {
    rounds.push(await protocolRun(n, d, drop));
    process.stderr.write(`secagg: done n=${n} d=${d} dropouts=${drop}\n`);
  }
  return { config: CONFIG, maskExpansion, rounds };
}

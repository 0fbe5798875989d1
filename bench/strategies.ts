/**
 * Server-side aggregation cost of every strategy (issue 4): 100 client updates of 1,000,000 float32 parameters,
 * each a fresh buffer as a decoded frame would be. Reports the time spent in the strategy (add + finish; making the
 * update buffers is not timed), as wall time and as this process's CPU time (the bench machine is shared, so wall
 * time includes waiting for a core), the update bytes folded in per second of each, and the bytes of off-heap
 * memory (ArrayBuffers and WebAssembly memories) the aggregator still holds after the last add: streaming rules
 * hold their accumulators, buffering rules every update. SCAFFOLD's clients also send a control-variate delta,
 * counted in its bytes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ParameterSet, Rng, type FitConfig } from '../src/core/index.js';
import {
  STRATEGY_NAMES,
  createStrategy,
  type ClientFitResult,
  type RoundContext,
} from '../src/strategy/index.js';

export const name = 'strategies';

const CLIENTS = 100;
const SIZE = 1_000_000;
/** Distinct update contents; every update is still its own buffer (a copy of one of these). */
const DISTINCT = 8;

/** Parameters for strategies that require some: f = 10 of 100 clients for the Byzantine rules. */
const PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  krum: { f: 10 },
  'multi-krum': { f: 10 },
  bulyan: { f: 10 },
  'centered-clipping': { tau: 1 },
  'norm-bounding': { normBound: 1 },
};

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Off-heap bytes in use after a full collection (backing stores are released after a turn of the loop). */
async function offHeapBytes(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().external;
}

/** Milliseconds of CPU time this process has used. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const config: FitConfig = {
  round: 1,
  seed: 0,
  localEpochs: 1,
  batchSize: 32,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};

async function measure(
  strategyName: string,
  sources: readonly ParameterSet[],
  global: ParameterSet,
  clientCount = CLIENTS,
) {
  const strategy = createStrategy(strategyName, PARAMS[strategyName] ?? {});
  const context: RoundContext = {
    round: 1,
    global,
    rng: new Rng(1),
    availableClients: CLIENTS,
    serverFit: async (params) =>
      new ParameterSet(
        params.layout,
        sources[0]!.data.map((v, i) => v + params.data[i]!),
      ),
  };
  const clients = Array.from({ length: clientCount }, (_, i) => `client-${String(i).padStart(3, '0')}`);
  await strategy.prepareRound?.(context);
  strategy.configureFit(
    context,
    clients.map((clientId) => ({ clientId, config })),
  );
  const scaffold = strategyName === 'scaffold';
  const before = await offHeapBytes();
  let seconds = 0;
  let cpu = 0;
  let start = performance.now();
  let cpuStart = cpuMs();
  const aggregator = strategy.beginAggregation(context);
  seconds += performance.now() - start;
  cpu += cpuMs() - cpuStart;
  clients.forEach((clientId, i) => {
    const update = new ParameterSet(global.layout, sources[i % DISTINCT]!.data.slice());
    const result: ClientFitResult = {
      clientId,
      numExamples: 10 + (i % 7),
      localSteps: 1 + (i % 3),
      metrics: { initialLoss: 1 + (i % 5) / 10 },
      update,
      ...(scaffold
        ? { controlDelta: new ParameterSet(global.layout, sources[(i + 1) % DISTINCT]!.data.slice()) }
        : {}),
    };
    start = performance.now();
    cpuStart = cpuMs();
    aggregator.add(result);
    seconds += performance.now() - start;
    cpu += cpuMs() - cpuStart;
  });
  const retainedBytes = (await offHeapBytes()) - before;
  start = performance.now();
  cpuStart = cpuMs();
  const out = aggregator.finish([]);
  seconds += performance.now() - start;
  cpu += cpuMs() - cpuStart;
  out.params.assertFinite(`${strategyName} output`);
  const bytes = clientCount * SIZE * 4 * (scaffold ? 2 : 1);
  return {
    seconds: seconds / 1000,
    cpuSeconds: cpu / 1000,
    updateGBps: bytes / (seconds / 1000) / 1e9,
    updateGBpsCpu: bytes / (cpu / 1000) / 1e9,
    retainedBytes,
    retainedModels: retainedBytes / (SIZE * 4),
  };
}

export async function run(): Promise<object> {
  const rng = new Rng(42);
  const layout = ParameterSet.fromTensors([
    { name: 'w', shape: [SIZE], values: new Float32Array(SIZE) },
  ]).layout;
  const sources = Array.from({ length: DISTINCT }, () => {
    const values = new Float32Array(SIZE);
    for (let i = 0; i < SIZE; i++) values[i] = 0.01 * rng.normal();
    return new ParameterSet(layout, values);
  });
  const global = new ParameterSet(layout);
  const results: Record<string, object> = {};
  for (const strategyName of STRATEGY_NAMES) {
    process.stderr.write(`  ${strategyName}\n`);
    // An untimed warm-up round first: the JS and WebAssembly tiers compile the hot loops on their first calls.
    await measure(strategyName, sources, global, 50); // Bulyan with f = 10 needs n >= 43
    results[strategyName] = await measure(strategyName, sources, global);
  }
  return { clients: CLIENTS, parameters: SIZE, updateBytes: SIZE * 4, results };
}

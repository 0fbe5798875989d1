import { describe, expect, it } from 'vitest';
import {
  FlotillaError,
  ParameterSet,
  type FitConfig,
  type FitOutput,
  type ParameterSet as Params,
  type Trainer,
} from '../core/index.js';
import { decodeMessage } from '../protocol/index.js';
import { secagg } from '../privacy/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { FedOpt } from '../strategy/fedopt.js';
import { createStrategy } from '../strategy/registry.js';
import type { Strategy } from '../strategy/strategy.js';
import { InProcessPool } from '../transport/in-process.js';
import { RuntimeClientHost } from '../transport/runtime-host.js';
import {
  createClientHost,
  teacherParams,
  type SyntheticHostInit,
} from '../transport/test-support/synthetic-host.js';
import type { EngineConfig } from './config.js';
import { DpFedAvgPolicy } from './dp-fedavg.js';
import { RoundEngine, type RunResult } from './engine.js';
import type { ClientPool, DispatchOptions, TaskEnvelope, TaskOutcome } from './pool.js';
import type { PrivacyPolicy } from './privacy.js';

const INIT: SyntheticHostInit = { clients: 10, features: 6, classes: 3, examplesPerClient: 24, seed: 5 };

/** The stage a task belongs to: 0 for the fit task that opens the protocol, else the stage task's stage. */
function stageOf(task: TaskEnvelope): number {
  const message = decodeMessage(task.frame);
  return message.type === 'stage-task' ? message.stage : 0;
}

/** Passes tasks to an inner pool, except that chosen clients fall silent from a chosen stage on. */
class DroppingPool implements ClientPool {
  readonly sentConfigs: FitConfig[] = [];

  constructor(
    private readonly inner: ClientPool,
    private readonly silentFrom: ReadonlyMap<string, number>,
  ) {}

  available() {
    return this.inner.available();
  }

  async *dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    const passed: TaskEnvelope[] = [];
    const dropped: TaskEnvelope[] = [];
    for (const task of tasks) {
      const message = decodeMessage(task.frame);
      if (message.type === 'fit-task') this.sentConfigs.push(message.config);
      const from = this.silentFrom.get(task.clientId);
      (from !== undefined && stageOf(task) >= from ? dropped : passed).push(task);
    }
    for (const task of dropped) {
      yield {
        kind: 'failed',
        clientId: task.clientId,
        taskId: task.taskId,
        cause: 'disconnected',
        message: 'gone',
      };
    }
    yield* this.inner.dispatch(passed, options);
  }

  close() {
    return this.inner.close();
  }
}

async function run(options: {
  engine?: Partial<EngineConfig>;
  silentFrom?: ReadonlyMap<string, number>;
  strategy?: Strategy;
  privacy?: PrivacyPolicy;
  host?: RuntimeClientHost;
}): Promise<{ result: RunResult; pool: DroppingPool }> {
  const host = options.host ?? (await createClientHost(INIT));
  const pool = new DroppingPool(new InProcessPool(host), options.silentFrom ?? new Map());
  const engine = new RoundEngine({
    pool,
    strategy: options.strategy ?? new FedAvg(),
    config: { rounds: 2, learningRate: 0.1, batchSize: 8, seed: 3, maxRetries: 0, ...options.engine },
    ...(options.privacy ? { privacy: options.privacy } : {}),
  });
  const initialParams = ParameterSet.zeros(teacherParams(INIT).layout);
  return { result: await engine.run({ initialParams }), pool };
}

const SECURE = { quantizationBits: 16, clippingRange: 1, maxWeight: 64 };

function maxDifference(a: Params, b: Params): number {
  let worst = 0;
  for (let i = 0; i < a.size; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
}

/** One quantization step of SECURE per round, the bound on a mean's rounding error, over 2 rounds. */
const TOLERANCE = 2 * ((2 * SECURE.clippingRange) / (2 ** SECURE.quantizationBits - 1));

describe('secure aggregation in the round engine', () => {
  it('gives FedAvg the same model as plain aggregation, within the quantization error', async () => {
    const plain = await run({});
    const secure = await run({ engine: { secureAggregation: SECURE } });
    expect(secure.result.status).toBe('completed');
    expect(maxDifference(secure.result.params, plain.result.params)).toBeLessThan(TOLERANCE);
    expect(secure.result.history[1]!.participants).toHaveLength(10);
    // The clients were told their place in the protocol, and nothing told them to send their update in the clear.
    const task = secure.pool.sentConfigs[0]!.secureAggregation!;
    expect(task).toMatchObject({ n: 10, neighbours: 9, threshold: 6, unitWeights: false });
    expect(secure.result.history[0]!.train.metrics['loss']).toBeCloseTo(
      plain.result.history[0]!.train.metrics['loss']!,
      10,
    );
  });

  it('composes with FedAdam and with unweighted FedAvg', async () => {
    for (const strategy of [
      () => new FedOpt('fedadam', { serverLearningRate: 0.05 }),
      () => new FedAvg({ weighted: false }),
    ]) {
      const plain = await run({ strategy: strategy() });
      const secure = await run({ strategy: strategy(), engine: { secureAggregation: SECURE } });
      // FedAdam's step is sign-like in early rounds: compare the models loosely, the rule exactly elsewhere.
      expect(maxDifference(secure.result.params, plain.result.params)).toBeLessThan(1e-2);
    }
  });

  // Client 4 goes silent at each stage in turn; client 7 at stage 3 too when two drop. A dropout before the masked
  // input leaves the sum, one after it stays in (its masked input arrived; its neighbours unmask it).
  for (const stage of [0, 1, 2, 3]) {
    it(`recovers from dropouts at stage ${stage}`, async () => {
      const silent = new Map([
        ['client-004', stage],
        ['client-007', stage],
      ]);
      const secure = await run({ engine: { secureAggregation: SECURE }, silentFrom: silent });
      const survivedInput = stage === 3;
      const plain = await run({
        silentFrom: survivedInput ? new Map() : new Map([...silent].map(([id]) => [id, 0])),
      });
      expect(secure.result.status).toBe('completed');
      const participants = secure.result.history[0]!.participants;
      expect(participants.includes('client-004')).toBe(survivedInput);
      expect(maxDifference(secure.result.params, plain.result.params)).toBeLessThan(TOLERANCE);
      const failures = secure.result.history[0]!.failures.map((f) => f.clientId).sort();
      expect(failures).toEqual(['client-004', 'client-007']);
    });
  }

  it('aborts the round cleanly below the threshold, with the reason recorded', async () => {
    // n = 10, complete graph, t = 6: five silent at the masked-input stage leave 5 < t.
    const silent = new Map(['001', '002', '003', '004', '005'].map((i) => [`client-${i}`, 2]));
    const error = await run({
      engine: { secureAggregation: SECURE, minResults: { count: 1 } },
      silentFrom: silent,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlotillaError);
    expect((error as FlotillaError).code).toBe('ROUND_FAILED');
    expect((error as Error).message).toMatch(/secure aggregation aborted at stage 2 .*threshold/);
  });

  it('stops before unmasking when fewer masked inputs arrived than the round needs', async () => {
    const silent = new Map(['001', '002', '003'].map((i) => [`client-${i}`, 2]));
    const error = await run({
      engine: { secureAggregation: SECURE, minResults: { count: 8 } },
      silentFrom: silent,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /stopped before unmasking: 7 client\(s\) sent a masked input, 8 needed/,
    );
  });

  it('refuses strategies that need individual updates and DP modes that cannot compose', async () => {
    const pool = new InProcessPool(await createClientHost(INIT));
    const config: EngineConfig = { rounds: 1, secureAggregation: SECURE };
    expect(() => new RoundEngine({ pool, strategy: createStrategy('krum', { f: 1 }), config })).toThrow(
      /needs each client's update/,
    );
    const dp = (over: object) =>
      new DpFedAvgPolicy({ noiseMultiplier: 1, clipNorm: 1, sampling: 'fixed-size', delta: 1e-5, ...over });
    expect(
      () => new RoundEngine({ pool, strategy: new FedAvg(), config, privacy: dp({ clipOn: 'server' }) }),
    ).toThrow(/never sees an update to clip/);
    expect(
      () =>
        new RoundEngine({
          pool,
          strategy: new FedAvg(),
          config: { rounds: 1 },
          privacy: dp({ noiseOn: 'clients' }),
        }),
    ).toThrow(/needs secure aggregation/);
    // The modulus must hold the sum: 10 clients x 20,000 x (2^16 - 1) does not fit in 2^32 (2 clients would).
    await expect(
      new RoundEngine({
        pool,
        strategy: new FedAvg(),
        config: { rounds: 1, secureAggregation: { quantizationBits: 16, maxWeight: 20_000 } },
      }).run({ initialParams: ParameterSet.zeros(teacherParams(INIT).layout) }),
    ).rejects.toThrow(/cannot hold the sum of n = 10/);
  });
});

/** A client that does not change the model: what arrives at the server is the privacy stage's noise alone. */
class StillTrainer implements Trainer {
  async fit(global: Params, config: FitConfig): Promise<FitOutput> {
    void config;
    return { params: global.clone(), numExamples: 10, localSteps: 1, metrics: {} };
  }
  async evaluate() {
    return { loss: 0, numExamples: 1, metrics: {} };
  }
}

describe('distributed DP under secure aggregation', () => {
  it('has the clients add noise shares whose sum carries at least the accounted noise', async () => {
    const layout = teacherParams({ ...INIT, features: 100, classes: 10 }).layout;
    const host = new RuntimeClientHost(
      Array.from({ length: 10 }, (_, i) => ({ descriptor: { id: `c${i}` }, trainer: new StillTrainer() })),
      { privacy: { noise: 'seeded' } },
    );
    const pool = new DroppingPool(new InProcessPool(host), new Map());
    const z = 1;
    const engine = new RoundEngine({
      pool,
      strategy: new FedAvg(),
      config: {
        rounds: 1,
        seed: 9,
        minResults: { count: 5 },
        secureAggregation: { quantizationBits: 20, clippingRange: 8, maxWeight: 1 },
      },
      privacy: new DpFedAvgPolicy({
        noiseMultiplier: z,
        clipNorm: 1,
        sampling: 'fixed-size',
        delta: 1e-5,
        noiseOn: 'clients',
      }),
    });
    const result = await engine.run({ initialParams: ParameterSet.zeros(layout) });
    const record = result.history[0]!;
    expect(record.privacy!.details).toMatchObject({ noiseOn: 'clients' });
    // Each client adds z C / sqrt(5) (5 = the fewest results the round commits with); 10 did, so the mean of the
    // m = 10 updates carries z C sqrt(10 / 5) / 10, above the z C / m the accountant charges.
    expect(pool.sentConfigs[0]!.distributedNoiseStddev).toBeCloseTo(z / Math.sqrt(5), 12);
    const values = result.params.data;
    let squares = 0;
    for (const v of values) squares += v * v;
    const observed = Math.sqrt(squares / values.length);
    expect(observed / ((z * Math.sqrt(10 / 5)) / 10)).toBeGreaterThan(0.93);
    expect(observed / ((z * Math.sqrt(10 / 5)) / 10)).toBeLessThan(1.07);
  });

  it('charges central noise after unmasking to the server, the clients clipping with a rounding margin', async () => {
    const host = await createClientHost(INIT);
    const privacy = new DpFedAvgPolicy({
      noiseMultiplier: 0.5,
      clipNorm: 0.5,
      sampling: 'fixed-size',
      delta: 1e-5,
      noiseSeed: 1,
    });
    const { result } = await run({
      engine: { secureAggregation: { ...SECURE, maxWeight: 1 } },
      privacy,
      host: host as RuntimeClientHost,
    });
    expect(result.status).toBe('completed');
    expect(result.history[1]!.privacy!.details).toMatchObject({ noiseOn: 'server', clipOn: 'client' });
    expect(result.privacy!.epsilon).toBeGreaterThan(0);
  });
});

describe('signed key advertisements', () => {
  /** Virtual clients with Ed25519 identities; `impostor` signs with a key that is not the roster's. */
  async function signedHost(impostor?: string, withIdentity = true): Promise<RuntimeClientHost> {
    const keys = await Promise.all(Array.from({ length: 5 }, () => secagg.generateEd25519()));
    const stranger = await secagg.generateEd25519();
    const ids = keys.map((_, i) => `c${i}`);
    const roster = new Map(ids.map((id, i) => [id, keys[i]!.publicKey]));
    return new RuntimeClientHost(
      ids.map((id, i) => ({
        descriptor: { id },
        trainer: new StillTrainer(),
        ...(withIdentity
          ? { identity: { id, roster, privateKey: (id === impostor ? stranger : keys[i]!).privateKey } }
          : {}),
      })),
    );
  }
  const engineFor = (host: RuntimeClientHost, signed: boolean) =>
    new RoundEngine({
      pool: new InProcessPool(host),
      strategy: new FedAvg(),
      config: { rounds: 1, maxRetries: 0, secureAggregation: { ...SECURE, signed } },
    });
  const initialParams = () => ParameterSet.zeros(teacherParams(INIT).layout);

  it('completes when every client signs with the key its peers hold in their rosters', async () => {
    const result = await engineFor(await signedHost(), true).run({ initialParams: initialParams() });
    expect(result.history[0]!.participants).toHaveLength(5);
  });

  it('stops the round when keys do not match the roster (a server standing in for a client)', async () => {
    const error = (await engineFor(await signedHost('c2'), true)
      .run({ initialParams: initialParams() })
      .catch((e: unknown) => e)) as FlotillaError;
    expect(error.code).toBe('ROUND_FAILED');
    const attempts = error.details['attempts'] as { failures: { message: string }[] }[];
    expect(attempts[0]!.failures.map((f) => f.message).join('\n')).toMatch(
      /the keys of client \d+ are not signed by its identity/,
    );
  });

  it('has a client with a roster refuse an unsigned round, and one without an identity refuse a signed one', async () => {
    const cases = [
      { host: await signedHost(), signed: false, why: /the round is unsigned/ },
      { host: await signedHost(undefined, false), signed: true, why: /this client has no identity key/ },
    ];
    for (const { host, signed, why } of cases) {
      const error = (await engineFor(host, signed)
        .run({ initialParams: initialParams() })
        .catch((e: unknown) => e)) as FlotillaError;
      expect(error.code).toBe('ROUND_FAILED');
      const attempts = error.details['attempts'] as { failures: { message: string }[] }[];
      expect(attempts[0]!.failures[0]!.message).toMatch(why);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlotillaError, ParameterSet, l2Norm, type Trainer } from '../core/index.js';
import { he } from '../privacy/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { InProcessPool } from '../transport/in-process.js';
import { RuntimeClientHost, type VirtualClient } from '../transport/runtime-host.js';
import { SoftmaxTrainer, syntheticClientData } from '../transport/test-support/softmax-trainer.js';
import { teacherParams, type SyntheticHostInit } from '../transport/test-support/synthetic-host.js';
import { Rng } from '../core/index.js';
import type { EngineConfig } from './config.js';
import { RoundEngine, type RunResult } from './engine.js';
import type { ClientPool, DispatchOptions, TaskEnvelope, TaskOutcome } from './pool.js';
import { decodeMessage } from '../protocol/index.js';

const INIT: SyntheticHostInit = { clients: 5, features: 6, classes: 3, examplesPerClient: 24, seed: 5 };

function host(keys: he.HeKeys | undefined, extra: readonly VirtualClient[] = []): RuntimeClientHost {
  const teacher = teacherParams(INIT);
  const root = new Rng(INIT.seed);
  return new RuntimeClientHost(
    [
      ...Array.from({ length: INIT.clients }, (_, i) => {
        const id = `client-${i}`;
        const data = syntheticClientData(teacher, root.split('client', id), INIT.examplesPerClient + 8 * i);
        return { descriptor: { id }, trainer: new SoftmaxTrainer(data) };
      }),
      ...extra,
    ],
    keys ? { homomorphicKeys: keys } : {},
  );
}

/** A client whose trained parameters are `value` everywhere, claiming `numExamples`. */
function constant(id: string, value: number, numExamples: number): VirtualClient {
  const trainer: Trainer = {
    fit: async (global) => ({
      params: new ParameterSet(global.layout, new Float32Array(global.size).fill(value)),
      numExamples,
      localSteps: 1,
      metrics: {},
    }),
    evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
  };
  return { descriptor: { id }, trainer };
}

/** Fails the decryption tasks sent to chosen clients, as if they had gone away after sending their ciphertexts. */
class NoDecryptPool implements ClientPool {
  constructor(
    private readonly inner: ClientPool,
    private readonly refusing: ReadonlySet<string>,
  ) {}
  available() {
    return this.inner.available();
  }
  async *dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    const refused = tasks.filter(
      (t) => this.refusing.has(t.clientId) && decodeMessage(t.frame).type === 'stage-task',
    );
    for (const t of refused) {
      yield {
        kind: 'failed',
        clientId: t.clientId,
        taskId: t.taskId,
        cause: 'disconnected',
        message: 'gone',
      };
    }
    yield* this.inner.dispatch(
      tasks.filter((t) => !refused.includes(t)),
      options,
    );
  }
  close() {
    return this.inner.close();
  }
}

async function run(pool: ClientPool, config: Partial<EngineConfig> = {}): Promise<RunResult> {
  const engine = new RoundEngine({
    pool,
    strategy: new FedAvg(),
    config: { rounds: 2, learningRate: 0.1, batchSize: 8, seed: 3, maxRetries: 0, ...config },
  });
  return engine.run({ initialParams: ParameterSet.zeros(teacherParams(INIT).layout) });
}

describe('homomorphic (CKKS) aggregation in the round engine', () => {
  let keys: he.HeKeys;
  beforeAll(async () => {
    keys = he.generateKeys(await he.loadSeal());
  });
  afterAll(() => keys.delete());

  it('gives FedAvg the plain weighted mean within 1e-6 relative, the server adding ciphertexts only', async () => {
    const plain = await run(new InProcessPool(host(undefined)));
    const encrypted = await run(new InProcessPool(host(keys)), { homomorphicAggregation: {} });
    expect(encrypted.status).toBe('completed');
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < plain.params.size; i++) {
      worst = Math.max(worst, Math.abs(encrypted.params.data[i]! - plain.params.data[i]!));
      scale = Math.max(scale, Math.abs(plain.params.data[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-6);
    expect(encrypted.history[0]!.participants).toHaveLength(5);
    // The ciphertexts are larger than the float32 updates they carry.
    expect(encrypted.history[0]!.bytesReceived).toBeGreaterThan(5 * plain.history[0]!.bytesReceived);
  });

  it('asks the next contributor when one does not decrypt, and fails cleanly when none does', async () => {
    const one = await run(new NoDecryptPool(new InProcessPool(host(keys)), new Set(['client-0'])), {
      homomorphicAggregation: {},
    });
    expect(one.status).toBe('completed');
    expect(one.history[0]!.failures.map((f) => f.clientId)).toContain('client-0');
    const all = new Set(Array.from({ length: 5 }, (_, i) => `client-${i}`));
    await expect(
      run(new NoDecryptPool(new InProcessPool(host(keys)), all), { homomorphicAggregation: {} }),
    ).rejects.toThrow(/no contributing client decrypted the encrypted sum/);
  });

  it('bounds what the server cannot see: a claimed count at stage 0, the mean update after decryption', async () => {
    const liar = constant('liar', 0, Number.MAX_SAFE_INTEGER);
    const counted = await run(new InProcessPool(host(keys, [liar])), { homomorphicAggregation: {} });
    expect(counted.status).toBe('completed');
    expect(counted.history[0]!.failures).toEqual([
      expect.objectContaining({ clientId: 'liar', cause: 'rejected' }),
    ]);
    // 1e4 in all 21 coordinates, weighted 1000 against 5 x ~40: the round's mean update is far over the bound.
    const loud = () => new InProcessPool(host(keys, [constant('loud', 1e4, 1000)]));
    const refused = (await run(loud(), { homomorphicAggregation: {} }).catch(
      (e: unknown) => e,
    )) as FlotillaError;
    expect(refused.code).toBe('ROUND_FAILED');
    expect(refused.message).toMatch(
      /the round's mean update has L2 norm .* more than maxUpdateNorm \(1000\)/,
    );
    const clipped = await run(loud(), { homomorphicAggregation: {}, updateNormAction: 'clip' });
    expect(clipped.status).toBe('completed');
    // Two rounds from zero, each step at most the bound (up to CKKS precision).
    expect(l2Norm(clipped.params)).toBeLessThan(2 * 1000 * 1.0001);
    expect(l2Norm(clipped.params)).toBeGreaterThan(1000);
  });

  it('refuses clients without a key and configs that ask for both secure and homomorphic aggregation', async () => {
    const error = (await run(new InProcessPool(host(undefined)), { homomorphicAggregation: {} }).catch(
      (e: unknown) => e,
    )) as FlotillaError;
    expect(error.code).toBe('ROUND_FAILED');
    const attempts = error.details['attempts'] as { failures: { message: string }[] }[];
    expect(attempts[0]!.failures[0]!.message).toMatch(/no CKKS key file/);
    await expect(
      run(new InProcessPool(host(keys)), { homomorphicAggregation: {}, secureAggregation: {} }),
    ).rejects.toThrow(/exclusive/);
  });
});

/**
 * Issue 10: one authenticated client must not wreck the model. Through the real engine, client runtime and codec on
 * the in-process pool: a client sending 3e38 in every coordinate, and one claiming 2^53 - 1 examples, are refused
 * by the default bounds, and the run commits what the honest clients alone would have produced.
 */
import { describe, expect, it } from 'vitest';
import {
  ParameterSet,
  Rng,
  l2Norm,
  type FitConfig,
  type FitExtras,
  type FitOutput,
  type Trainer,
} from '../core/index.js';
import { INITIAL_LOSS_METRIC } from '../strategy/qfedavg.js';
import { STRATEGY_NAMES, createStrategy } from '../strategy/registry.js';
import { FedAvg } from '../strategy/fedavg.js';
import type { Strategy } from '../strategy/strategy.js';
import { Faulty } from '../strategy/test-support/faulty.js';
import { InProcessPool } from '../transport/in-process.js';
import { RuntimeClientHost, type VirtualClient } from '../transport/runtime-host.js';
import { SoftmaxTrainer, syntheticClientData } from '../transport/test-support/softmax-trainer.js';
import { teacherParams, type SyntheticHostInit } from '../transport/test-support/synthetic-host.js';
import type { EngineConfig } from './config.js';
import { RoundEngine, type RunResult } from './engine.js';
import type { RoundRecord } from './history.js';
import { UpdateBounds } from './update-bounds.js';

const INIT: SyntheticHostInit = { clients: 5, features: 6, classes: 3, examplesPerClient: 40, seed: 11 };
const LAYOUT = teacherParams(INIT).layout;

/**
 * Trains nothing: sends `value` as its parameters (so its update is about `value`), claims `numExamples`, and
 * reports a huge loss on those as many examples when asked to evaluate.
 */
function attacker(value: number, numExamples: number): Trainer {
  return {
    // An attacker claims whatever gets its update accepted.
    features: ['proximal-term', 'gradient-correction', 'dp-sgd', 'initial-loss'],
    fit: async (global: ParameterSet): Promise<FitOutput> => ({
      params: new ParameterSet(global.layout, new Float32Array(global.size).fill(value)),
      numExamples,
      localSteps: 1,
      metrics: { loss: 1, [INITIAL_LOSS_METRIC]: 1 },
    }),
    evaluate: async () => ({ loss: 1e30, numExamples, metrics: { accuracy: 0 } }),
  };
}

/** A softmax client that also reports the loss it started from (q-FedAvg needs it). */
function honestTrainer(id: string, stream = 'client'): Trainer {
  const data = syntheticClientData(
    teacherParams(INIT),
    new Rng(INIT.seed).split(stream, id),
    INIT.examplesPerClient,
  );
  const trainer = new SoftmaxTrainer(data);
  return {
    features: [...(trainer.features ?? []), 'initial-loss'],
    fit: async (global: ParameterSet, config: FitConfig, extras?: FitExtras) => {
      const before = await trainer.evaluate(global, { round: config.round, batchSize: config.batchSize });
      const out = await trainer.fit(global, config, extras);
      return { ...out, metrics: { ...out.metrics, [INITIAL_LOSS_METRIC]: before.loss } };
    },
    evaluate: (params, config) => trainer.evaluate(params, config),
  };
}

function honestClients(): VirtualClient[] {
  return Array.from({ length: INIT.clients }, (_, i) => ({
    descriptor: { id: `honest-${i}` },
    trainer: honestTrainer(`honest-${i}`),
  }));
}

/** FLTrust's root data: one more honest client's training, on the server. */
const root = honestTrainer('root', 'root');

async function run(
  extra: readonly VirtualClient[],
  config: Partial<EngineConfig> = {},
  strategy: Strategy = new FedAvg(),
): Promise<{ result: RunResult; committed: ParameterSet[] }> {
  const committed: ParameterSet[] = [];
  const engine = new RoundEngine({
    pool: new InProcessPool(new RuntimeClientHost([...honestClients(), ...extra])),
    strategy,
    config: { rounds: 4, learningRate: 0.1, batchSize: 8, seed: 3, ...config },
    serverFit: async (params, round) =>
      (
        await root.fit(params, {
          round,
          seed: round,
          localEpochs: 1,
          batchSize: 8,
          learningRate: 0.1,
          optimizer: 'sgd',
          momentum: 0,
        })
      ).params,
    committer: { commitRound: async (_record, params) => void committed.push(params.clone()) },
  });
  const result = await engine.run({ initialParams: ParameterSet.zeros(LAYOUT) });
  return { result, committed };
}

function maxDifference(a: ParameterSet, b: ParameterSet): number {
  let max = 0;
  for (let i = 0; i < a.size; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
  return max;
}

function failuresOf(history: readonly RoundRecord[], clientId: string) {
  return history.map((r) => r.failures.find((f) => f.clientId === clientId));
}

describe('per-client bounds in the round engine', () => {
  it('refuses a client sending 3e38 everywhere: finite models, equal to the honest-only run', async () => {
    const honest = await run([]);
    const attacked = await run([{ descriptor: { id: 'poison' }, trainer: attacker(3e38, 40) }]);
    expect(attacked.result.status).toBe('completed');
    expect(attacked.committed).toHaveLength(4);
    for (const params of attacked.committed) expect(params.firstNonFinite()).toBe(-1);
    // The honest clients train identically in both runs, and the refused result never reaches the sum.
    expect(maxDifference(attacked.result.params, honest.result.params)).toBeLessThan(1e-6);
    for (const failure of failuresOf(attacked.result.history, 'poison')) {
      expect(failure?.cause).toBe('rejected');
      expect(failure?.message).toMatch(/L2 norm .* more than maxUpdateNorm \(1000\)/);
    }
  });

  it('refuses a client claiming 2^53 - 1 examples, even with a modest update', async () => {
    const honest = await run([]);
    // Norm 3 * sqrt(21) ~ 14, well inside the norm bound: only the example cap stops it taking the whole weight.
    const liar = { descriptor: { id: 'liar' }, trainer: attacker(3, Number.MAX_SAFE_INTEGER) };
    const attacked = await run([liar]);
    expect(attacked.result.status).toBe('completed');
    expect(maxDifference(attacked.result.params, honest.result.params)).toBeLessThan(1e-6);
    for (const failure of failuresOf(attacked.result.history, 'liar')) {
      expect(failure?.cause).toBe('rejected');
      expect(failure?.message).toContain(
        `claimed ${Number.MAX_SAFE_INTEGER} examples, more than maxExamplesPerClient (1000000)`,
      );
    }
    // Its evaluation claims are refused too: the round's reported loss is the honest clients'.
    const evaluated = await run([liar], { rounds: 1, evaluateEvery: 1 });
    const honestEvaluation = (await run([], { rounds: 1, evaluateEvery: 1 })).result.history[0]!;
    const { loss, numExamples, metrics } = evaluated.result.history[0]!.federatedEvaluation!;
    expect({ loss, numExamples, metrics }).toEqual({
      loss: honestEvaluation.federatedEvaluation!.loss,
      numExamples: honestEvaluation.federatedEvaluation!.numExamples,
      metrics: honestEvaluation.federatedEvaluation!.metrics,
    });
    // Without the cap the liar takes the whole weight of the mean.
    const uncapped = await run([liar], { maxExamplesPerClient: Number.MAX_SAFE_INTEGER });
    expect(maxDifference(uncapped.result.params, honest.result.params)).toBeGreaterThan(1);
  });

  it("clips instead with updateNormAction 'clip': the attacker moves the model by at most its bounded share", async () => {
    const honest = await run([]);
    const clipped = await run([{ descriptor: { id: 'poison' }, trainer: attacker(3e38, 40) }], {
      updateNormAction: 'clip',
      maxUpdateNorm: 1,
    });
    expect(clipped.result.status).toBe('completed');
    for (const record of clipped.result.history) expect(record.participants).toContain('poison');
    for (const params of clipped.committed) expect(params.firstNonFinite()).toBe(-1);
    // Per round the attacker adds at most (its weight share 1/6) x 1 to the model, and changes what the others train.
    const moved = l2Norm(
      new ParameterSet(
        LAYOUT,
        clipped.result.params.data.map((v, i) => v - honest.result.params.data[i]!),
      ),
    );
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(4);
  });

  it('every registered strategy survives a poisoning client, an absent one and a refused aggregate', async () => {
    const params: Record<string, Record<string, unknown>> = {
      krum: { f: 1 },
      'multi-krum': { f: 1 },
      bulyan: { f: 1 },
      'centered-clipping': { tau: 1 },
      'norm-bounding': { normBound: 1 },
    };
    const absent: Trainer = {
      fit: () => Promise.reject(new Error('gone')),
      evaluate: () => Promise.reject(new Error('gone')),
    };
    // Bulyan with f = 1 needs 4f + 3 = 7 results.
    const more = ['honest-5', 'honest-6'].map((id) => ({ descriptor: { id }, trainer: honestTrainer(id) }));
    for (const name of STRATEGY_NAMES) {
      const { result, committed } = await run(
        [
          ...more,
          { descriptor: { id: 'poison' }, trainer: attacker(3e38, Number.MAX_SAFE_INTEGER) },
          { descriptor: { id: 'absent' }, trainer: absent },
        ],
        { rounds: 2, minResults: { fraction: 0.5 } },
        // Round 2's first aggregate holds a NaN: refused, the strategy's state restored, and the round retried.
        new Faulty(createStrategy(name, params[name] ?? {}), 'non-finite', (n) => n === 2),
      );
      expect(result.status, name).toBe('completed');
      expect(committed, name).toHaveLength(2);
      for (const p of committed) expect(p.firstNonFinite(), name).toBe(-1);
      expect(
        result.history.map((r) => r.attempts),
        name,
      ).toEqual([1, 2]);
      expect(l2Norm(result.params), name).toBeLessThan(100);
      for (const record of result.history) {
        const causes = Object.fromEntries(record.failures.map((f) => [f.clientId, f.cause]));
        expect(Object.keys(causes).sort(), name).toEqual(['absent', 'poison']);
        expect(causes['absent'], name).toBe('client-error');
        // A SCAFFOLD client refuses to send it itself: its control variate delta overflows.
        expect(causes['poison'], name).toBe(name === 'scaffold' ? 'non-finite' : 'rejected');
      }
    }
  }, 60_000);
});

describe('UpdateBounds.admit', () => {
  it('gives the update norm as sent, also when it clips the update to the bound', () => {
    const bounds = new UpdateBounds({
      maxExamplesPerClient: 100,
      maxUpdateNorm: 1,
      updateNormAction: 'clip',
    });
    const update = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array([3, 4]) }]);
    const admitted = bounds.admit({ clientId: 'a', numExamples: 1, localSteps: 1, metrics: {}, update });
    if (!admitted.ok) throw new Error(admitted.failure.message);
    expect(admitted.value.updateNorm).toBe(5);
    expect(Array.from(admitted.value.update.data)).toEqual([0.6000000238418579, 0.800000011920929]);
  });
});

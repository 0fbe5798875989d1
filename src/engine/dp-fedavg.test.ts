import { describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet, l2Norm, type FitConfig } from '../core/index.js';
import { decodeMessage, encodeMessage } from '../protocol/index.js';
import { CLIPPED_METRIC, computeEpsilon } from '../privacy/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import type { StrategyState } from '../strategy/strategy.js';
import type { EngineConfig } from './config.js';
import { DpFedAvgPolicy, type DpFedAvgOptions } from './dp-fedavg.js';
import { RoundEngine, type RoundCommitter } from './engine.js';
import type { RoundRecord } from './history.js';
import type { ClientPool, TaskEnvelope, TaskOutcome } from './pool.js';
import type { PrivacyCheckpoint } from './privacy.js';

/** Clients that answer every fit task with a fixed update, recording the configs they were sent. */
class FixedUpdatePool implements ClientPool {
  readonly configs: FitConfig[] = [];

  constructor(private readonly updates: ReadonlyMap<string, readonly number[]>) {}

  available() {
    return [...this.updates.keys()].map((id) => ({ id }));
  }

  async *dispatch(tasks: readonly TaskEnvelope[]): AsyncIterable<TaskOutcome> {
    for (const task of tasks) {
      const message = decodeMessage(task.frame);
      if (message.type !== 'fit-task') throw new Error('fit tasks only');
      this.configs.push(message.config);
      const values = this.updates.get(task.clientId)!;
      const update = new ParameterSet(message.params.layout, Float32Array.from(values));
      const frame = encodeMessage({
        type: 'fit-result',
        round: message.round,
        taskId: task.taskId,
        numExamples: 10,
        localSteps: 1,
        metrics: { [CLIPPED_METRIC]: 0 },
        update,
      });
      yield { kind: 'reply', clientId: task.clientId, taskId: task.taskId, frame, durationMs: 1 };
    }
  }

  async close() {}
}

function clients(count: number, update: readonly number[]): Map<string, readonly number[]> {
  return new Map(Array.from({ length: count }, (_, i) => [`c${String(i).padStart(3, '0')}`, update]));
}

function policy(overrides: Partial<DpFedAvgOptions> = {}): DpFedAvgPolicy {
  return new DpFedAvgPolicy({
    noiseMultiplier: 1,
    clipNorm: 1,
    clipOn: 'server',
    sampling: 'fixed-size',
    delta: 1e-5,
    noiseSeed: 3,
    ...overrides,
  });
}

const layout = new ParameterLayout([{ name: 'w', shape: [4] }]);
const base: EngineConfig = { rounds: 3, clientsPerRound: 10, seed: 1 };

class CapturingCommitter implements RoundCommitter {
  readonly ledgers: PrivacyCheckpoint[] = [];
  async commitRound(_r: RoundRecord, _p: ParameterSet, _s: StrategyState, privacy?: PrivacyCheckpoint) {
    if (privacy) this.ledgers.push(JSON.parse(JSON.stringify(privacy)) as PrivacyCheckpoint);
  }
}

describe('DP-FedAvg in the engine', () => {
  it('adds noise of standard deviation z C / m to the average (statistical test on 4000 draws)', async () => {
    // Zero updates on a 4000-coordinate model: after one round the new model minus the old is pure noise.
    const z = 1.5;
    const C = 2;
    const m = 10;
    const wide = new ParameterLayout([{ name: 'w', shape: [4000] }]);
    const engine = new RoundEngine({
      pool: new FixedUpdatePool(clients(40, new Array<number>(4000).fill(0))),
      strategy: new FedAvg(),
      config: { ...base, rounds: 1, clientsPerRound: m },
      privacy: policy({ noiseMultiplier: z, clipNorm: C }),
    });
    const result = await engine.run({ initialParams: ParameterSet.zeros(wide) });
    const sigma = (z * C) / m;
    expect(result.history[0]!.privacy!.details['noiseStddev']).toBeCloseTo(sigma, 12);
    const draws = Array.from(result.params.data);
    const n = draws.length;
    const mean = draws.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // Standard errors: mean sigma / sqrt(n) ~ 0.016 sigma, sd ~ sigma / sqrt(2n) ~ 0.011 sigma; allow 5 of each.
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
    expect(Math.abs(sd / sigma - 1)).toBeLessThan(5 / Math.sqrt(2 * n));
    // A wrong denominator (actual count, or the sum without /m) would miss by far more than that.
    const kurtosis = draws.reduce((a, b) => a + ((b - mean) / sd) ** 4, 0) / n;
    expect(kurtosis).toBeGreaterThan(2.7);
    expect(kurtosis).toBeLessThan(3.3);
  });

  it('clips every contribution to C on the server, and sends C to clients that clip themselves', async () => {
    // Five clients send [30, 40, 0, 0] (norm 50); clipped to C = 1 each contributes [0.6, 0.8, 0, 0].
    const pool = new FixedUpdatePool(clients(5, [30, 40, 0, 0]));
    const engine = new RoundEngine({
      pool,
      strategy: new FedAvg(),
      config: { ...base, rounds: 1, clientsPerRound: 5 },
      // Tiny noise so the clipped mean is visible: z = 1e-6.
      privacy: policy({ noiseMultiplier: 1e-6 }),
    });
    const result = await engine.run({ initialParams: ParameterSet.zeros(layout) });
    expect(result.params.data[0]).toBeCloseTo(0.6, 5);
    expect(result.params.data[1]).toBeCloseTo(0.8, 5);
    expect(l2Norm(result.params)).toBeLessThanOrEqual(1 + 1e-5);
    expect(result.history[0]!.train.metrics[CLIPPED_METRIC]).toBe(1);
    expect(pool.configs.every((c) => c.clipNorm === undefined)).toBe(true);

    const clientPool = new FixedUpdatePool(clients(5, [0.3, 0.4, 0, 0]));
    await new RoundEngine({
      pool: clientPool,
      strategy: new FedAvg(),
      config: { ...base, rounds: 1, clientsPerRound: 5 },
      privacy: policy({ clipOn: 'client', clipNorm: 0.75 }),
    }).run({ initialParams: ParameterSet.zeros(layout) });
    expect(clientPool.configs.map((c) => c.clipNorm)).toEqual([0.75, 0.75, 0.75, 0.75, 0.75]);
  });

  it('stops at the budget with a clear message, and its spending matches the accountant', async () => {
    const finished: { status: string; reason?: string }[] = [];
    const spent: number[] = [];
    const engine = new RoundEngine({
      pool: new FixedUpdatePool(clients(100, [0.1, 0, 0, 0])),
      strategy: new FedAvg(),
      config: { rounds: 1000, fractionFit: 0.1, clientSampling: 'poisson', seed: 1 },
      // z = 2, q = 0.1: epsilon 1.46 after 30 rounds, 2.58 after 100, so the budget 2 ends the run in between.
      privacy: policy({ sampling: 'poisson', noiseMultiplier: 2, budget: { epsilon: 2, delta: 1e-5 } }),
    });
    engine.events.on('run-finished', (e) => finished.push(e));
    engine.events.on('privacy-spent', (e) => spent.push(e.epsilon));
    const result = await engine.run({ initialParams: ParameterSet.zeros(layout) });
    expect(result.status).toBe('budget-exhausted');
    expect(result.reason).toMatch(
      /^privacy budget exhausted: round \d+ would bring epsilon from [\d.]+ to [\d.]+, above the target epsilon 2 at delta 0.00001/,
    );
    expect(finished[0]!.status).toBe('budget-exhausted');
    expect(finished[0]!.reason).toBe(result.reason);
    const rounds = result.lastRound;
    expect(rounds).toBeGreaterThan(30);
    expect(rounds).toBeLessThan(100);
    expect(spent).toHaveLength(rounds);
    expect(result.privacy!.epsilon).toBeLessThanOrEqual(2);
    const exact = (steps: number) =>
      computeEpsilon({ samplingRate: 0.1, noiseMultiplier: 2, steps, delta: 1e-5 }).epsilon;
    expect(result.privacy!.epsilon).toBeCloseTo(exact(rounds), 9);
    expect(exact(rounds + 1)).toBeGreaterThan(2);
  });

  it('a resumed run restores the ledger: no forgetting, no double counting', async () => {
    const config: EngineConfig = { ...base, rounds: 6, clientsPerRound: 10 };
    const pool = () => new FixedUpdatePool(clients(50, [0.5, 0.5, 0, 0]));
    const full = await new RoundEngine({
      pool: pool(),
      strategy: new FedAvg(),
      config,
      privacy: policy(),
    }).run({
      initialParams: ParameterSet.zeros(layout),
    });

    const committer = new CapturingCommitter();
    const abort = new AbortController();
    const first = new RoundEngine({
      pool: pool(),
      strategy: new FedAvg(),
      config,
      privacy: policy(),
      committer,
    });
    first.events.on('round-committed', ({ record }) => record.round === 3 && abort.abort());
    const partial = await first.run({ initialParams: ParameterSet.zeros(layout), signal: abort.signal });
    expect(partial.lastRound).toBe(3);
    const saved = committer.ledgers.at(-1)!;
    expect(saved.round).toBe(3);

    const resumed = await new RoundEngine({
      pool: pool(),
      strategy: new FedAvg(),
      config,
      privacy: policy(),
    }).run({
      initialParams: partial.params,
      startRound: 4,
      privacyState: saved,
    });
    expect(resumed.privacy!.epsilon).toBe(full.privacy!.epsilon);
    expect(resumed.history.map((r) => r.privacy!.epsilon)).toEqual(
      full.history.slice(3).map((r) => r.privacy!.epsilon),
    );
    // Seeded noise per round: the resumed run ends on the same parameters as the uninterrupted one.
    expect(Array.from(resumed.params.data)).toEqual(Array.from(full.params.data));
  });

  it('adaptive clipping moves C towards the target quantile and still charges every round', async () => {
    // All updates have norm 0.5: with gamma = 0.5 and C starting at 4, C shrinks towards ~0.5.
    const engine = new RoundEngine({
      pool: new FixedUpdatePool(clients(100, [0.3, 0.4, 0, 0])),
      strategy: new FedAvg(),
      config: { ...base, rounds: 40, clientsPerRound: 100 },
      privacy: policy({
        clipNorm: 4,
        adaptive: { targetQuantile: 0.5, learningRate: 0.2 },
        noiseMultiplier: 0.5,
      }),
    });
    const result = await engine.run({ initialParams: ParameterSet.zeros(layout) });
    const norms = result.history.map((r) => r.privacy!.details['clipNorm'] as number);
    expect(norms[0]).toBe(4);
    expect(norms.at(-1)!).toBeLessThan(1);
    expect(norms.at(-1)!).toBeGreaterThan(0.25);
    expect(result.privacy!.epsilon).toBeGreaterThan(result.history[0]!.privacy!.epsilon);
  });

  it('refuses a policy whose sampling differs from the engine selection', () => {
    expect(
      () =>
        new RoundEngine({
          pool: new FixedUpdatePool(clients(5, [0, 0, 0, 0])),
          strategy: new FedAvg(),
          config: base,
          privacy: policy({ sampling: 'poisson' }),
        }),
    ).toThrow(/assumes poisson client sampling but the engine samples fixed-size/);
  });
});

import { describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet, type FitConfig } from '../core/index.js';
import { decodeMessage, encodeMessage } from '../protocol/index.js';
import { PrivacyAccountant } from '../privacy/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { ClientDpPolicy } from './client-dp.js';
import { RoundEngine } from './engine.js';
import type { ClientPool, TaskEnvelope, TaskOutcome } from './pool.js';

const layout = new ParameterLayout([{ name: 'w', shape: [3] }]);

/** Clients with 100 examples that take 10 local steps and return a zero update, recording what they were sent. */
class ZeroUpdatePool implements ClientPool {
  readonly configs: FitConfig[] = [];

  available() {
    return ['a', 'b', 'c', 'd'].map((id) => ({ id }));
  }

  async *dispatch(tasks: readonly TaskEnvelope[]): AsyncIterable<TaskOutcome> {
    for (const task of tasks) {
      const message = decodeMessage(task.frame);
      if (message.type !== 'fit-task') throw new Error('fit tasks only');
      this.configs.push(message.config);
      const frame = encodeMessage({
        type: 'fit-result',
        round: message.round,
        taskId: task.taskId,
        numExamples: 100,
        localSteps: 10,
        metrics: {},
        update: ParameterSet.zeros(layout),
      });
      yield { kind: 'reply', clientId: task.clientId, taskId: task.taskId, frame, durationMs: 1 };
    }
  }

  async close() {}
}

describe('client-side DP policies', () => {
  it('local DP: sends clip norm and noise to clients and stops before any client would exceed the budget', async () => {
    const pool = new ZeroUpdatePool();
    const engine = new RoundEngine({
      pool,
      strategy: new FedAvg(),
      config: { rounds: 100, fractionFit: 1, seed: 2 },
      privacy: new ClientDpPolicy({
        mode: 'local',
        clipNorm: 0.5,
        noiseMultiplier: 20,
        budget: { epsilon: 4, delta: 1e-5 },
      }),
    });
    const result = await engine.run({ initialParams: ParameterSet.zeros(layout) });
    expect(result.status).toBe('budget-exhausted');
    expect(pool.configs[0]).toMatchObject({ clipNorm: 0.5, localNoiseMultiplier: 20, privacyDelta: 1e-5 });
    // Every client took part in every round: its ledger is lastRound Gaussian steps at z / 2 = 10.
    const ledger = new PrivacyAccountant().add({ mechanism: 'gaussian', z: 10, steps: result.lastRound });
    expect(result.privacy!.epsilon).toBeCloseTo(ledger.getEpsilon(1e-5).epsilon, 9);
    expect(result.privacy!.epsilon).toBeLessThanOrEqual(4);
    const oneMore = new PrivacyAccountant().add({
      mechanism: 'gaussian',
      z: 10,
      steps: result.lastRound + 1,
    });
    expect(oneMore.getEpsilon(1e-5).epsilon).toBeGreaterThan(4);
  });

  it('DP-SGD: mirrors each client ledger from its reported steps, and restores it on resume', async () => {
    const make = () =>
      new ClientDpPolicy({ mode: 'dp-sgd', exampleClipNorm: 1, noiseMultiplier: 1.1, delta: 1e-5 });
    const pool = new ZeroUpdatePool();
    const config = { rounds: 4, fractionFit: 1, batchSize: 10, seed: 2 };
    const full = await new RoundEngine({ pool, strategy: new FedAvg(), config, privacy: make() }).run({
      initialParams: ParameterSet.zeros(layout),
    });
    expect(pool.configs[0]).toMatchObject({
      exampleClipNorm: 1,
      exampleNoiseMultiplier: 1.1,
      exampleSampling: 'poisson',
    });
    const expected = new PrivacyAccountant().add({
      mechanism: 'sampled-gaussian',
      sampling: 'poisson',
      q: 0.1,
      z: 1.1,
      steps: 40,
    });
    expect(full.privacy!.epsilon).toBeCloseTo(expected.getEpsilon(1e-5).epsilon, 9);

    const first = make();
    const half = await new RoundEngine({
      pool: new ZeroUpdatePool(),
      strategy: new FedAvg(),
      config: { ...config, rounds: 2 },
      privacy: first,
    }).run({ initialParams: ParameterSet.zeros(layout) });
    const checkpoint = JSON.parse(JSON.stringify(first.checkpoint(half.lastRound)));
    const resumed = await new RoundEngine({
      pool: new ZeroUpdatePool(),
      strategy: new FedAvg(),
      config,
      privacy: make(),
    }).run({ initialParams: half.params, startRound: 3, privacyState: checkpoint });
    expect(resumed.privacy!.epsilon).toBe(full.privacy!.epsilon);
  });
});

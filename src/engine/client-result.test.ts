import { describe, expect, it } from 'vitest';
import { ParameterSet } from '../core/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { InProcessPool } from '../transport/in-process.js';
import {
  createClientHost,
  teacherParams,
  type SyntheticHostInit,
} from '../transport/test-support/synthetic-host.js';
import type { EngineConfig } from './config.js';
import { RoundEngine } from './engine.js';
import type { EngineEvents } from './events.js';

const INIT: SyntheticHostInit = { clients: 4, features: 5, classes: 3, examplesPerClient: 20, seed: 2 };

async function clientResults(config: Partial<EngineConfig>): Promise<EngineEvents['client-result'][]> {
  const engine = new RoundEngine({
    pool: new InProcessPool(await createClientHost(INIT)),
    strategy: new FedAvg(),
    config: { rounds: 1, learningRate: 0.1, batchSize: 8, seed: 1, evaluateEvery: 1, ...config },
  });
  const events: EngineEvents['client-result'][] = [];
  engine.events.on('client-result', (e) => events.push(e));
  await engine.run({ initialParams: ParameterSet.zeros(teacherParams(INIT).layout) });
  return events;
}

describe("the engine's client-result event", () => {
  it('carries what each client reported: training metrics of a fit, loss and metrics of an evaluation', async () => {
    const events = await clientResults({});
    const fits = events.filter((e) => e.phase === 'fit');
    const evaluations = events.filter((e) => e.phase === 'evaluate');
    expect(fits).toHaveLength(4);
    expect(evaluations).toHaveLength(4);
    for (const e of [...fits, ...evaluations]) {
      expect(e.numExamples).toBeGreaterThan(0);
      expect(Number.isFinite(e.metrics!['loss'])).toBe(true);
      expect(e.metrics!['accuracy']).toBeGreaterThanOrEqual(0);
    }
    // Each client's own numbers, not the round's mean.
    expect(new Set(fits.map((e) => e.metrics!['loss'])).size).toBe(4);
  });

  it('under secure aggregation, carries the metrics clients report in the clear with their opening', async () => {
    const events = await clientResults({
      evaluateEvery: 0,
      secureAggregation: { quantizationBits: 16, clippingRange: 1, maxWeight: 64 },
    });
    const openings = events.filter((e) => e.phase === 'fit');
    expect(openings).toHaveLength(4);
    for (const e of openings) expect(Number.isFinite(e.metrics!['loss'])).toBe(true);
  });
});

/**
 * Client resource reports reach the engine's 'client-result' event whichever way the update travels: a plain
 * fit-result, a SecAgg+ stage-0 reply (the report rides on the opening, not on the masked payload's later stages),
 * and an evaluation. Real ClientRuntimes behind the in-process pool.
 */
import { describe, expect, it } from 'vitest';
import { ParameterSet, type ResourceReport, type Trainer } from '../core/index.js';
import { ClientRuntime, type ResourceProbe } from '../client/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { InProcessPool } from '../transport/in-process.js';
import type { ClientHost } from '../transport/host.js';
import type { EngineConfig } from './config.js';
import { RoundEngine } from './engine.js';
import type { EngineEvents } from './events.js';

const global = ParameterSet.fromTensors([{ name: 'w', shape: [4], values: new Float32Array(4) }]);

const trainer: Trainer = {
  async fit(params) {
    const w = params.tensor('w');
    w.forEach((v, i) => (w[i] = v + 0.01 * (i + 1)));
    return { params, numExamples: 10, localSteps: 1, metrics: { loss: 0.5 } };
  },
  async evaluate() {
    return { loss: 0.4, numExamples: 10, metrics: {} };
  },
};

/** Each client names itself as its platform, so a report can be traced to the client that sent it. */
function host(ids: readonly string[]): ClientHost {
  const runtimes = new Map(
    ids.map((id) => {
      const probe: ResourceProbe = { deviceProfile: () => ({ platform: `probe-${id}`, cores: 2 }) };
      return [id, new ClientRuntime(trainer, { resources: probe })];
    }),
  );
  return {
    clients: () => ids.map((id) => ({ id })),
    handle: (id, frame) => runtimes.get(id)!.handle(frame),
  };
}

async function reports(engine: Partial<EngineConfig>): Promise<EngineEvents['client-result'][]> {
  const ids = ['a', 'b', 'c'];
  const run = new RoundEngine({
    pool: new InProcessPool(host(ids)),
    strategy: new FedAvg(),
    config: { rounds: 1, seed: 1, maxRetries: 0, ...engine },
  });
  const results: EngineEvents['client-result'][] = [];
  run.events.on('client-result', (e) => results.push(e));
  expect((await run.run({ initialParams: global })).status).toBe('completed');
  return results;
}

const fromClient = (id: string): Partial<ResourceReport> => ({
  bytesOut: expect.any(Number),
  device: { platform: `probe-${id}`, cores: 2 },
});

describe("'client-result' carries the client's resource report", () => {
  it('for plain fits and evaluations', async () => {
    const results = await reports({ evaluateEvery: 1 });
    const fits = results.filter((r) => r.phase === 'fit');
    const evaluations = results.filter((r) => r.phase === 'evaluate');
    expect(fits).toHaveLength(3);
    expect(evaluations).toHaveLength(3);
    for (const r of results) expect(r.resources).toMatchObject(fromClient(r.clientId));
    for (const r of fits) expect(r.resources!.bytesOut).toBe(16);
    for (const r of evaluations) expect(r.resources!.bytesOut).toBe(0);
  });

  it('for SecAgg+ fits, on the stage-0 reply only', async () => {
    const results = await reports({
      secureAggregation: { quantizationBits: 16, clippingRange: 1, maxWeight: 64 },
    });
    const fits = results.filter((r) => r.phase === 'fit');
    expect(fits.map((r) => r.clientId).sort()).toEqual(['a', 'b', 'c']);
    for (const r of fits) expect(r.resources).toMatchObject(fromClient(r.clientId));
    const stages = results.filter((r) => r.phase === 'secure-aggregation');
    expect(stages.length).toBeGreaterThan(0);
    for (const r of stages) expect(r.resources).toBeUndefined();
  });
});

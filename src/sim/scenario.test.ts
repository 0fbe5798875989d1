import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { parseCohorts, pooledTraining, prepareScenario, type ScenarioConfig } from './scenario.js';

const hospitals: ScenarioConfig = {
  dataset: 'stroke',
  cohorts: parseCohorts('A:elderly-urban:400,B:young-professionals:300,C:rural-mixed:500'),
  partition: 'attribute',
  partitionAttribute: 'cohort',
  alpha: 0.5,
  minPartitionSize: 10,
  shardsPerClient: 2,
  skewExponent: 1.5,
  clients: 3,
  model: 'tabular-mlp',
  seed: 3,
  testFraction: 0.25,
};

describe('prepareScenario', () => {
  it('makes one client per hospital cohort with its own held-out rows', async () => {
    const prepared = await prepareScenario(hospitals);
    expect(prepared.clients.map((c) => c.id)).toEqual(['A', 'B', 'C']);
    expect(prepared.clients.map((c) => c.train.size + c.test!.size)).toEqual([400, 300, 500]);
    expect(prepared.clients.map((c) => c.test!.size)).toEqual([100, 75, 125]);
    expect(prepared.serverTest.size).toBe(300);
    expect(prepared.numClasses).toBe(2);
    // Profiles differ: the elderly urban hospital has far more strokes than the young professionals.
    const rate = (labels: Int32Array) => labels.reduce((a, b) => a + b, 0) / labels.length;
    const [a, b] = prepared.clients;
    expect(rate(a!.train.labels)).toBeGreaterThan(3 * rate(b!.train.labels));
  });

  it('fits standardization on the pooled training rows only', async () => {
    const prepared = await prepareScenario(hospitals);
    const train = pooledTraining(prepared);
    const ageColumn = prepared.serverTest.featureNames!.indexOf('age');
    const width = train.featureShape[0]!;
    let sum = 0;
    for (let i = 0; i < train.size; i++) sum += train.features[i * width + ageColumn]!;
    // Standardized on exactly these rows, so their mean is 0 (up to float32 rounding).
    expect(Math.abs(sum / train.size)).toBeLessThan(1e-5);
  });

  it('is deterministic in the seed', async () => {
    const [x, y, z] = await Promise.all([
      prepareScenario(hospitals),
      prepareScenario(hospitals),
      prepareScenario({ ...hospitals, seed: 4 }),
    ]);
    expect(Array.from(x.clients[0]!.train.features)).toEqual(Array.from(y.clients[0]!.train.features));
    expect(Array.from(x.clients[0]!.train.features)).not.toEqual(Array.from(z.clients[0]!.train.features));
  });

  it('partitions MNIST among many clients and keeps the official test split for the server', async () => {
    const prepared = await prepareScenario({
      ...hospitals,
      dataset: 'mnist',
      model: 'mlp',
      partition: 'pathological',
      clients: 50,
      testFraction: 0,
    });
    expect(prepared.clients).toHaveLength(50);
    expect(prepared.clients.every((c) => c.test === undefined)).toBe(true);
    expect(prepared.serverTest.size).toBe(2000);
    expect(prepared.partitionStats.summary.meanLabelsPerClient).toBeLessThanOrEqual(2);
  });

  it('refuses inconsistent scenarios with the key named', async () => {
    const refusals: [Partial<ScenarioConfig>, RegExp][] = [
      [{ clients: 4 }, /makes 3 clients \(A, B, C\), but clients is 4/],
      [{ dataset: 'mnist', model: 'mlp' }, /"attribute" needs per-example attributes/],
      [{ dataset: 'mnist', partition: 'iid', model: 'tabular-mlp', testFraction: 0 }, /binary classifier/],
      [{ dataset: 'csv' }, /needs dataPath/],
    ];
    for (const [change, message] of refusals) {
      const error = await prepareScenario({ ...hospitals, ...change }).catch((e: unknown) => e);
      expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => parseCohorts('A:elderly-urban')).toThrow(/NAME:PROFILE:SIZE/);
    expect(() => parseCohorts('A:martian:100')).toThrow(/unknown profile "martian"/);
    expect(() => parseCohorts('A:general:100,A:general:50')).toThrow(/distinct/);
  });
});

/**
 * Flotilla as a library: the public entry points with the user's own code plugged in, against the real engine,
 * client runtime, codec and (for the client) a real TLS server with SQLite on 127.0.0.1.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FedAvg,
  isFlotillaError,
  type EngineEvents,
  type RoundContext,
  type Strategy,
} from '../src/index.js';
import { runClient } from '../src/public/client.js';
import { loadMnist, subsetDataset } from '../src/public/data.js';
import { startServer } from '../src/public/server.js';
import { simulate } from '../src/public/sim.js';
import { createCertificates } from '../src/server/certs.js';
import { SoftmaxTrainer, softmaxParameters } from './support/softmax-trainer.js';

/** A small MNIST federation: 4 clients sharing 800 digits, every client in every round. */
const SMALL = {
  clients: 4,
  trainLimit: 800,
  fraction: 1,
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.05,
  backend: 'cpu',
  seed: 7,
} as const;

/** The share of the most frequent class in MNIST's test split: what always guessing it scores. */
function majorityShare(): number {
  const { test } = loadMnist({ seed: SMALL.seed });
  const counts = new Array<number>(10).fill(0);
  for (const y of test.labels) counts[y]!++;
  return Math.max(...counts) / test.size;
}

function accuracyOf(report: Awaited<ReturnType<typeof simulate>>): number {
  return report.history.at(-1)!.serverEvaluation!.metrics['accuracy']!;
}

describe('simulate with a user Trainer', () => {
  it('learns (beats the majority class) and tells its listeners every round', async () => {
    const committed: number[] = [];
    const started: EngineEvents['run-started'][] = [];
    const finished: string[] = [];
    const report = await simulate({
      settings: { ...SMALL, rounds: 3 },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
      on: {
        'run-started': (e) => started.push(e),
        'round-committed': ({ record }) => committed.push(record.round),
        'run-finished': ({ status }) => finished.push(status),
      },
    });
    expect(report.status).toBe('completed');
    expect(report.lastRound).toBe(3);
    expect(committed).toEqual([1, 2, 3]);
    expect(started).toHaveLength(1);
    expect(started[0]!.availableClients).toBe(4);
    expect(finished).toEqual(['completed']);
    expect(report.finalParameters.layout.equals(report.initialParameters.layout)).toBe(true);
    expect(accuracyOf(report)).toBeGreaterThan(majorityShare() + 0.3);
  });

  it('shows a trainer that returns non-finite parameters as the round failure, naming them', async () => {
    const broken = simulate({
      settings: { ...SMALL, rounds: 1, maxRetries: 0 },
      trainer: () => ({
        fit: async (params) => {
          const out = params.clone();
          out.data[3] = Number.NaN;
          return { params: out, numExamples: 10, localSteps: 1, metrics: {} };
        },
        evaluate: async () => ({ loss: 1, numExamples: 1, metrics: {} }),
      }),
      initialParameters: softmaxParameters(784, 10),
    });
    await expect(broken).rejects.toThrow(
      /; first: client-\d+: .*trained parameters.*(NaN|non-finite|not finite)/i,
    );
  });

  it('refuses a wrong layout from the trainer by name', async () => {
    const wrong = simulate({
      settings: { ...SMALL, rounds: 1, maxRetries: 0 },
      trainer: () => ({
        fit: async () => ({
          params: softmaxParameters(10, 2),
          numExamples: 10,
          localSteps: 1,
          metrics: {},
        }),
        evaluate: async () => ({ loss: 1, numExamples: 1, metrics: {} }),
      }),
      initialParameters: softmaxParameters(784, 10),
    });
    await expect(wrong).rejects.toThrow(
      /; first: client-\d+: .*the global model and the trained parameters differ at tensor 0/,
    );
  });

  it('stops FedProx on a trainer that does not declare the proximal term, naming it', async () => {
    const fedProx = simulate({
      settings: { ...SMALL, rounds: 1, maxRetries: 0, strategy: 'fedprox' },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
    });
    await expect(fedProx).rejects.toThrow(/; first: client-\d+: .*"proximal-term": FedProx's proximal term/);
  });
});

describe('simulate with a trainer module in worker threads', () => {
  it('imports the module in every worker and learns', async () => {
    const report = await simulate({
      settings: { ...SMALL, rounds: 2, workers: 2 },
      trainer: new URL('./support/softmax-trainer.ts', import.meta.url).href,
      initialParameters: softmaxParameters(784, 10),
    });
    expect(report.history.map((r) => r.participants.length)).toEqual([4, 4]);
    expect(accuracyOf(report)).toBeGreaterThan(majorityShare() + 0.3);
  });

  it('refuses a module without createTrainer, by name', async () => {
    const missing = simulate({
      settings: { ...SMALL, rounds: 1, workers: 2 },
      trainer: new URL('./support/federation.ts', import.meta.url).href,
      initialParameters: softmaxParameters(784, 10),
    });
    await expect(missing).rejects.toThrow(/support\/federation.ts does not export a function createTrainer/);
  });
});

describe('simulate with a user TF.js model', () => {
  it("trains the factory's model with Flotilla's trainer", async () => {
    const built: { inputShape: readonly number[]; numClasses: number }[] = [];
    const report = await simulate({
      settings: { ...SMALL, rounds: 2, learningRate: 0.1 },
      model: ({ inputShape, numClasses, seed }) => {
        built.push({ inputShape, numClasses });
        return tf.sequential({
          layers: [
            tf.layers.flatten({ inputShape: [...inputShape] }),
            tf.layers.dense({
              units: numClasses,
              kernelInitializer: tf.initializers.glorotUniform({ seed }),
            }),
            tf.layers.activation({ activation: 'softmax' }),
          ],
        });
      },
    });
    expect(built[0]).toEqual({ inputShape: [28, 28, 1], numClasses: 10 });
    expect(report.finalParameters.layout.specs.map((s) => s.shape)).toEqual([[784, 10], [10]]);
    expect(accuracyOf(report)).toBeGreaterThan(majorityShare() + 0.3);
  });

  it('refuses a model without a final activation layer, naming the option', async () => {
    const bad = simulate({
      settings: { ...SMALL, rounds: 1 },
      model: ({ inputShape, numClasses }) =>
        tf.sequential({
          layers: [
            tf.layers.flatten({ inputShape: [...inputShape] }),
            tf.layers.dense({ units: numClasses, activation: 'softmax' }),
          ],
        }),
    });
    await expect(bad).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('the "model" factory'),
    });
  });
});

describe('simulate with a user Strategy', () => {
  it('calls it every round and commits what it aggregates', async () => {
    const rounds: number[] = [];
    const fedavg = new FedAvg();
    const mine: Strategy = {
      name: 'my-fedavg',
      configureFit: (context, proposals) => fedavg.configureFit(context, proposals),
      beginAggregation(context: RoundContext) {
        rounds.push(context.round);
        return fedavg.beginAggregation(context);
      },
      saveState: () => fedavg.saveState(),
      loadState: (state) => fedavg.loadState(state),
    };
    const report = await simulate({
      settings: { ...SMALL, rounds: 2, strategy: 'fedavgm' },
      trainer: ({ train, test }) => new SoftmaxTrainer(train, test),
      initialParameters: softmaxParameters(784, 10),
      strategy: mine,
    });
    expect(rounds).toEqual([1, 2]);
    expect(report.history.map((r) => r.participants.length)).toEqual([4, 4]);
  });
});

describe('simulate refuses what cannot work, in one line', () => {
  const trainer = () => new SoftmaxTrainer(loadMnist({ seed: 1 }).test);
  it.each([
    [{ settings: { workers: 2 }, model: () => tf.sequential() }, /"model" is a function.*"workers" is 2/],
    [
      { settings: { workers: 2 }, trainer, initialParameters: softmaxParameters(784, 10) },
      /"trainer" is a function.*set workers to 1.*createTrainer/,
    ],
    [{ trainer }, /"trainer" needs "initialParameters"/],
    [
      { trainer: () => ({ fit: () => undefined }), initialParameters: softmaxParameters(784, 10) },
      /"trainer" factory returned no Trainer \(with fit and evaluate\) for server/,
    ],
    [{ trainer, model: () => tf.sequential() }, /not both/],
    [{ settings: { model: 'cnn' }, model: () => tf.sequential() }, /settings.model "cnn"/],
    [{ settings: { roundz: 3 } }, /roundz/],
    [{ on: { 'round-done': () => undefined } as never }, /"on.round-done" is not an engine event/],
  ] as const)('%#', async (options, message) => {
    const error = await simulate(options as never).catch((e: unknown) => e);
    expect(isFlotillaError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

describe('runClient with a user Trainer against a TLS server', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-library-'));
    await createCertificates(join(dir, 'tls'), { hosts: ['localhost'], clients: [] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('trains with the server until the run is finished', async () => {
    const { train, test } = loadMnist({ seed: 3 });
    const committed: number[] = [];
    const aggregated: number[] = [];
    const fedavg = new FedAvg();
    const server = await startServer({
      settings: {
        host: 'localhost',
        port: 0,
        db: join(dir, 'server.db'),
        tlsDir: join(dir, 'tls'),
        rounds: 2,
        minClients: 2,
        fraction: 1,
        inputSize: 784,
        numClasses: 10,
        localEpochs: 1,
        batchSize: 20,
        learningRate: 0.05,
      },
      initialParameters: softmaxParameters(784, 10),
      strategy: {
        name: 'counting-fedavg',
        configureFit: (context, proposals) => fedavg.configureFit(context, proposals),
        beginAggregation: (context) => (aggregated.push(context.round), fedavg.beginAggregation(context)),
        saveState: () => fedavg.saveState(),
        loadState: (state) => fedavg.loadState(state),
      },
      on: { 'round-committed': ({ record }) => committed.push(record.round) },
    });
    try {
      const ca = await readFile(join(dir, 'tls', 'ca.crt'), 'utf8');
      const tasks: string[] = [];
      const clients = ['alice', 'bob'].map(async (id, k) =>
        runClient({
          server: server.url,
          id,
          token: await server.addClient(id),
          ca: k === 0 ? ca : join(dir, 'tls', 'ca.crt'), // PEM text or a path
          trainer: new SoftmaxTrainer(
            subsetDataset(
              train,
              Uint32Array.from({ length: 400 }, (_, i) => k * 400 + i),
            ),
            test,
          ),
          on: { task: (t) => tasks.push(`${id}:${t.type}:${t.round}`) },
        }),
      );
      expect(await Promise.all(clients)).toEqual(['finished', 'finished']);
      const result = await server.finished;
      expect(result.status).toBe('completed');
      expect(committed).toEqual([1, 2]);
      expect(aggregated).toEqual([1, 2]);
      expect(tasks.filter((t) => t.includes(':fit-result:'))).toHaveLength(4);
      expect(result.params.layout.equals(softmaxParameters(784, 10).layout)).toBe(true);
      expect(result.params.data.some((v) => v !== 0)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses a model factory whose model clients could not train, before listening', async () => {
    const refused = startServer({
      settings: { insecure: true, port: 0, db: join(dir, 'refused.db'), inputSize: 4 },
      model: ({ inputShape, numClasses }) =>
        tf.sequential({ layers: [tf.layers.dense({ inputShape: [...inputShape], units: numClasses })] }),
    });
    await expect(refused).rejects.toMatchObject({ code: 'MODEL_INVALID' });
  });

  it('refuses a CA file that does not exist, by name', async () => {
    await expect(
      runClient({
        server: 'wss://localhost:1/ws',
        id: 'x',
        token: 't',
        ca: join(dir, 'missing.crt'),
        trainer: new SoftmaxTrainer(loadMnist({ seed: 1 }).test),
      }),
    ).rejects.toMatchObject({ code: 'TLS_INVALID', message: expect.stringContaining('missing.crt') });
  });
});

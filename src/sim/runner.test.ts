import { describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError } from '../core/index.js';
import type { EngineConfig, RoundRecord } from '../engine/index.js';
import { FedAvg } from '../strategy/fedavg.js';
import { HistoryRecorder } from '../telemetry/index.js';
import { softmaxLayout } from '../transport/test-support/softmax-trainer.js';
import { clientId, type SyntheticHostInit } from '../transport/test-support/synthetic-host.js';
import { runSimulation, type SimulationOptions } from './runner.js';

const hostModule = new URL('../transport/test-support/synthetic-host.ts', import.meta.url);
const init: SyntheticHostInit = { clients: 8, features: 6, classes: 3, examplesPerClient: 40, seed: 7 };
const engine: EngineConfig = {
  rounds: 4,
  fractionFit: 0.5,
  localEpochs: 2,
  batchSize: 8,
  learningRate: 0.1,
  momentum: 0.5,
  seed: 11,
  evaluateEvery: 2,
};

function options(overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return {
    hostModule,
    hostInit: init,
    engine,
    strategy: new FedAvg(),
    initialParams: ParameterSet.zeros(softmaxLayout(init.features, init.classes)),
    ...overrides,
  };
}

describe('runSimulation', () => {
  it('trains: federated evaluation loss falls and every round commits with its records', async () => {
    const recorder = new HistoryRecorder({ scenario: 'synthetic' });
    const result = await runSimulation(options({ subscribe: (events) => recorder.attach(events) }));
    expect(result.status).toBe('completed');
    expect(result.history.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    for (const record of result.history) {
      expect(record.selected).toHaveLength(4);
      expect(record.participants).toEqual(record.selected);
      expect(record.bytesSent).toBeGreaterThan(0);
      expect(record.bytesReceived).toBeGreaterThan(0);
    }
    const evals = result.history.flatMap((r) => (r.federatedEvaluation ? [r.federatedEvaluation] : []));
    expect(evals.map((e) => e.round)).toEqual([2, 4]);
    // Zero weights give uniform predictions: loss ln(3) ~ 1.0986.
    expect(evals[1]!.loss).toBeLessThan(0.9);
    expect(evals[1]!.participants).toBe(8);
    expect(evals[1]!.accuracySpread!.worst10Mean).toBeLessThanOrEqual(evals[1]!.accuracySpread!.mean);
    const history = JSON.parse(recorder.json());
    expect(history.status).toBe('completed');
    expect(history.rounds).toHaveLength(4);
    expect(history.metadata).toEqual({ scenario: 'synthetic' });
  });

  it('gives bit-identical parameters in this thread, on 1 worker and on 2 workers', async () => {
    const inThread = await runSimulation(options({ workers: 0 }));
    const oneWorker = await runSimulation(options({ workers: 1 }));
    const twoWorkers = await runSimulation(options({ workers: 2 }));
    expect(Array.from(twoWorkers.params.data)).toEqual(Array.from(inThread.params.data));
    expect(Array.from(oneWorker.params.data)).toEqual(Array.from(inThread.params.data));
    expect(twoWorkers.history.map((r) => r.selected)).toEqual(inThread.history.map((r) => r.selected));
  });

  it('commits a round without a throwing, a late and a non-finite client, recording each cause', async () => {
    const faults = { [clientId(1)]: 'throw', [clientId(2)]: 'slow', [clientId(3)]: 'non-finite' } as const;
    const failed: string[] = [];
    const result = await runSimulation(
      options({
        hostInit: { ...init, faults, slowMs: 2_000 },
        // Every client runs at once, so the straggler only misses the deadline and does not hold the others up.
        concurrency: 8,
        engine: { ...engine, rounds: 1, fractionFit: 1, fitDeadlineMs: 300, evaluateEvery: 0 },
        subscribe: (events) => events.on('client-failed', (e) => failed.push(e.failure.clientId)),
      }),
    );
    const record = result.history[0]!;
    const causes = Object.fromEntries(record.failures.map((f) => [f.clientId, f.cause]));
    expect(causes).toEqual({
      [clientId(1)]: 'client-error',
      [clientId(2)]: 'deadline',
      [clientId(3)]: 'non-finite',
    });
    expect(record.failures.find((f) => f.clientId === clientId(1))!.message).toContain(
      'injected trainer failure',
    );
    expect(record.participants).toHaveLength(5);
    expect(record.participants).not.toContain(clientId(2));
    expect(failed.sort()).toEqual([clientId(1), clientId(2), clientId(3)]);
    expect(result.params.firstNonFinite()).toBe(-1);
  });

  it('retries a round with a fresh selection until enough results arrive, recording failed attempts', async () => {
    // Only client-005 can train; one client per round: each round retries until the selection finds it.
    const faults = Object.fromEntries([0, 1, 2, 3, 4, 6, 7].map((i) => [clientId(i), 'throw' as const]));
    const result = await runSimulation(
      options({
        hostInit: { ...init, faults },
        engine: {
          ...engine,
          fractionFit: undefined,
          rounds: 3,
          clientsPerRound: 1,
          minResults: 1,
          maxRetries: 50,
          evaluateEvery: 0,
        },
      }),
    );
    expect(result.history.every((r) => r.participants[0] === clientId(5))).toBe(true);
    const retried = result.history.filter((r) => r.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const record of result.history) {
      expect(record.failedAttempts).toHaveLength(record.attempts - 1);
      for (const failed of record.failedAttempts) {
        expect(failed.reason).toBe('0 of 1 client(s) returned a valid result, 1 needed');
        expect(failed.failures[0]!.cause).toBe('client-error');
      }
    }
  });

  it('fails with ROUND_FAILED naming every attempt when retries run out', async () => {
    const faults = Object.fromEntries([0, 1, 2, 3, 4, 6, 7].map((i) => [clientId(i), 'throw' as const]));
    const retried: number[] = [];
    const pauses: number[] = [];
    const failing = () =>
      runSimulation(
        options({
          hostInit: { ...init, faults },
          engine: {
            ...engine,
            fractionFit: undefined,
            rounds: 3,
            clientsPerRound: 2,
            minResults: { fraction: 1 },
            maxRetries: 2,
            // Minutes of backoff: a simulation's fixed pool reports the pauses but must not spend them.
            retryBackoffMs: 600_000,
            retryBackoffMaxMs: 3_600_000,
          },
          subscribe: (events) =>
            events.on('round-retried', (e) => {
              retried.push(e.round);
              pauses.push(e.retryInMs);
            }),
        }),
      ).catch((e: unknown) => e);
    const error = await failing();
    expect(pauses[0]).toBeGreaterThanOrEqual(300_000);
    expect(pauses[0]).toBeLessThan(600_000);
    expect(pauses[1]).toBeGreaterThanOrEqual(600_000);
    expect(pauses[1]).toBeLessThan(1_200_000);
    // The jitter comes from the run's seed: the same run draws the same pauses.
    await failing();
    expect(pauses.slice(2)).toEqual(pauses.slice(0, 2));
    retried.splice(2);
    expect(isFlotillaError(error, 'ROUND_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /^round 1 failed after 3 attempt\(s\): clients kept failing their task \(their trainer threw\) \(\d+ of the failures; all: \d+ client-error\); attempt 1: /,
    );
    const { attempts } = (error as { details: { attempts: { selected: string[]; reason: string }[] } })
      .details;
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.selected.join())).size).toBeGreaterThan(1);
    expect(attempts[0]!.reason).toMatch(/^[01] of 2 client\(s\) returned a valid result, 2 needed$/);
    expect(retried).toEqual([1, 1]);
  });

  it('resumes: rounds 1-2 then 3-4 from the committed state equal rounds 1-4 in one run', async () => {
    const committed: { record: RoundRecord; params: ParameterSet }[] = [];
    const straight = await runSimulation(options());
    const first = await runSimulation(
      options({
        engine: { ...engine, rounds: 4 },
        committer: {
          commitRound: async (record, params) => {
            committed.push({ record, params: params.clone() });
          },
        },
        signal: AbortSignal.abort(),
      }),
    );
    // An already aborted signal stops before round 1.
    expect(first.status).toBe('aborted');
    expect(first.lastRound).toBe(0);

    const controller = new AbortController();
    const partial = await runSimulation(
      options({
        committer: {
          commitRound: async (record, params) => {
            committed.push({ record, params: params.clone() });
            if (record.round === 2) controller.abort();
          },
        },
        signal: controller.signal,
      }),
    );
    expect(partial.status).toBe('aborted');
    expect(partial.lastRound).toBe(2);
    expect(committed.map((c) => c.record.round)).toEqual([1, 2]);
    const resumed = await runSimulation(
      options({
        startRound: 3,
        initialParams: committed[1]!.params,
        strategyState: new FedAvg().saveState(),
      }),
    );
    expect(resumed.history.map((r) => r.round)).toEqual([3, 4]);
    expect(Array.from(resumed.params.data)).toEqual(Array.from(straight.params.data));
  });

  it('rejects a bad engine config before starting any client', async () => {
    const error = await runSimulation(options({ engine: { ...engine, fractionFit: 1.5 } })).catch(
      (e: unknown) => e,
    );
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('fractionFit');
  });
});

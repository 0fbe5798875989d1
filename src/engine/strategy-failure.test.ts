/**
 * Issue 10: a strategy that fails, or produces a non-finite model, fails the round attempt (recorded, retried), never
 * the run, and nothing non-finite reaches storage: the checkpoint a restart resumes from is always usable. Real
 * SQLite storage through the StorageCommitter, the real client runtime on the in-process pool.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlotillaError, ParameterSet, Rng, isFlotillaError } from '../core/index.js';
import { createStrategy } from '../strategy/registry.js';
import type { Strategy } from '../strategy/strategy.js';
import { Faulty } from '../strategy/test-support/faulty.js';
import { StorageCommitter } from '../storage/committer.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { InProcessPool } from '../transport/in-process.js';
import { RuntimeClientHost } from '../transport/runtime-host.js';
import { SoftmaxTrainer, syntheticClientData } from '../transport/test-support/softmax-trainer.js';
import { teacherParams, type SyntheticHostInit } from '../transport/test-support/synthetic-host.js';
import { RoundEngine, type RunResult } from './engine.js';
import type { RoundRecord } from './history.js';

const INIT: SyntheticHostInit = { clients: 4, features: 5, classes: 3, examplesPerClient: 30, seed: 8 };
const RUN = 'run';

function pool(): InProcessPool {
  const teacher = teacherParams(INIT);
  const root = new Rng(INIT.seed);
  return new InProcessPool(
    new RuntimeClientHost(
      Array.from({ length: INIT.clients }, (_, i) => {
        const id = `c${i}`;
        const data = syntheticClientData(teacher, root.split('client', id), INIT.examplesPerClient);
        return { descriptor: { id }, trainer: new SoftmaxTrainer(data) };
      }),
    ),
  );
}

let dir: string;
let storage: SqliteStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-strategy-failure-'));
  storage = SqliteStorage.open(join(dir, 'run.db'));
});
afterEach(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(strategy: Strategy, maxRetries = 2, runId = RUN): Promise<RunResult> {
  const initialParams = ParameterSet.zeros(teacherParams(INIT).layout);
  await storage.createRun({ runId, name: runId, strategy: strategy.name, config: null, initialParams });
  const engine = new RoundEngine({
    pool: pool(),
    strategy,
    config: { rounds: 3, learningRate: 0.1, batchSize: 8, seed: 4, maxRetries },
    committer: new StorageCommitter(storage, runId),
  });
  return engine.run({ initialParams });
}

/** Every stored checkpoint, each checked to hold finite values only. */
async function storedRounds(): Promise<number[]> {
  const rounds = await storage.checkpointRounds(RUN);
  for (const round of rounds) {
    const checkpoint = (await storage.checkpoint(RUN, round))!;
    expect(checkpoint.params.firstNonFinite(), `checkpoint of round ${round}`).toBe(-1);
  }
  return rounds;
}

describe('a failing strategy fails the attempt, not the run', () => {
  for (const fault of ['throw', 'non-finite', 'prepare'] as const) {
    it(`${fault}: the attempt is recorded and retried, the run completes, storage holds finite models`, async () => {
      // Aggregation (or preparation) number 2 is round 2's first attempt.
      const result = await run(new Faulty(createStrategy('fedavg'), fault, (n) => n === 2));
      expect(result.status).toBe('completed');
      expect(await storedRounds()).toEqual([1, 2, 3]);
      const round2 = (await storage.rounds(RUN))[1]!.record as unknown as RoundRecord;
      expect(round2.attempts).toBe(2);
      expect(round2.failedAttempts[0]!.reason).toMatch(
        {
          throw: /^aggregation failed: injected aggregation bug/,
          'non-finite':
            /^aggregation failed: the aggregate was refused: strategy "fedavg" produced a non-finite value \(NaN\) in tensor "w"/,
          prepare:
            /^aggregation failed: strategy "fedavg" could not configure the round: injected preparation bug/,
        }[fault],
      );
    });
  }

  it('a refused aggregate leaves a stateful strategy as it was: FedAdam ends as in a clean run', async () => {
    const clean = await run(createStrategy('fedadam'), 2, 'clean');
    // FedAdam advances its moments inside finish; the spoiled attempt's advance must be undone before the retry.
    const spoiled = await run(new Faulty(createStrategy('fedadam'), 'non-finite', (n) => n === 2));
    expect(spoiled.history[1]!.attempts).toBe(2);
    expect(Array.from(spoiled.params.data)).toEqual(Array.from(clean.params.data));
  });

  it('out of retries the run fails with ROUND_FAILED, and only finite rounds are stored', async () => {
    const error = await run(new Faulty(createStrategy('fedavg'), 'non-finite', (n) => n >= 2), 1).catch(
      (e: unknown) => e,
    );
    expect(isFlotillaError(error, 'ROUND_FAILED')).toBe(true);
    expect((error as FlotillaError).message).toMatch(/round 2 failed after 2 attempt\(s\)/);
    expect(await storedRounds()).toEqual([1]);
  });
});

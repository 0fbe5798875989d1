import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError } from '../../core/index.js';
import { StorageCommitter } from '../committer.js';
import type { RoundCommit } from '../storage.js';
import { SqliteStorage } from './sqlite-storage.js';
import { modelForRound } from './test-support/model.js';

const SIZE = 1000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isFlotillaError(error)) return error.code;
    throw error;
  }
  return undefined;
}

function commitFor(round: number, extra: Partial<RoundCommit> = {}): RoundCommit {
  // A variable, not an inline literal: like the engine's RoundRecord, it has more fields than storage requires.
  const record = { round, participants: ['a', 'b'], loss: round === 2 ? Number.NaN : 1 / round };
  return {
    record,
    params: modelForRound(round, SIZE),
    strategyState: {
      json: { step: round },
      tensors: { m: modelForRound(-round, SIZE), v: modelForRound(100 + round, 20) },
    },
    privacyLedger: { version: 1, entries: Array.from({ length: round }, () => ({ sigma: 1.1, q: 0.01 })) },
    ...extra,
  };
}

function expectSame(actual: ParameterSet, expected: ParameterSet): void {
  expect(actual.layout.equals(expected.layout)).toBe(true);
  expect(Buffer.from(actual.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(true);
}

describe('SqliteStorage runs and rounds', () => {
  let dir: string;
  let path: string;
  let storage: SqliteStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-storage-'));
    path = join(dir, 'server.db');
    storage = SqliteStorage.open(path);
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newRun(keepCheckpoints?: number, runId = 'run-1') {
    return storage.createRun({
      runId,
      name: 'hospitals',
      strategy: 'fedadam',
      config: { rounds: 10, lr: 0.01 },
      initialParams: modelForRound(0, SIZE),
      ...(keepCheckpoints !== undefined && { keepCheckpoints }),
    });
  }

  it('leaves the file in WAL mode', () => {
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('creates, lists and updates runs; refuses a taken id and unknown runs', async () => {
    const run = await newRun();
    expect(run).toMatchObject({
      runId: 'run-1',
      status: 'created',
      lastRound: 0,
      config: { rounds: 10, lr: 0.01 },
    });
    expect(run.keepCheckpoints).toBeUndefined();
    const generated = await storage.createRun({
      name: 'other',
      strategy: 'fedavg',
      config: null,
      initialParams: modelForRound(0, 4),
    });
    expect(generated.runId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await storage.listRuns()).map((r) => r.runId)).toEqual([generated.runId, 'run-1']);
    expect(await codeOf(newRun())).toBe('STORAGE_CONFLICT');

    const failed = await storage.updateRunStatus('run-1', 'failed', 'ROUND_FAILED: no client answered');
    expect(failed).toMatchObject({ status: 'failed', statusMessage: 'ROUND_FAILED: no client answered' });
    expect((await storage.updateRunStatus('run-1', 'running')).statusMessage).toBeUndefined();
    expect(await codeOf(storage.updateRunStatus('run-1', 'paused' as never))).toBe('INVALID_ARGUMENT');

    expect(await storage.getRun('nope')).toBeUndefined();
    expect(await codeOf(storage.latestCheckpoint('nope'))).toBe('STORAGE_NOT_FOUND');
    expect(await codeOf(storage.commitRound('nope', commitFor(1)))).toBe('STORAGE_NOT_FOUND');
    expectSame(await storage.initialParams('run-1'), modelForRound(0, SIZE));
  });

  it('commits rounds and reads back records, parameters, strategy state and ledger after reopening', async () => {
    await newRun();
    expect(await storage.latestCheckpoint('run-1')).toBeUndefined();
    for (let round = 1; round <= 3; round++) await storage.commitRound('run-1', commitFor(round));
    await storage.close();
    storage = SqliteStorage.open(path);

    expect((await storage.getRun('run-1'))!.lastRound).toBe(3);
    const rounds = await storage.rounds('run-1');
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(rounds[1]!.record).toEqual({ round: 2, participants: ['a', 'b'], loss: Number.NaN });
    expect(rounds[2]!.committedAt).toBeGreaterThanOrEqual(rounds[0]!.committedAt);

    const latest = (await storage.latestCheckpoint('run-1'))!;
    expect(latest.round).toBe(3);
    expectSame(latest.params, modelForRound(3, SIZE));
    expect(latest.strategyState.json).toEqual({ step: 3 });
    expect(Object.keys(latest.strategyState.tensors)).toEqual(['m', 'v']);
    expectSame(latest.strategyState.tensors.m!, modelForRound(-3, SIZE));
    expectSame(latest.strategyState.tensors.v!, modelForRound(103, 20));
    expect(latest.privacyLedger).toEqual(commitFor(3).privacyLedger);
    expectSame((await storage.checkpoint('run-1', 1))!.params, modelForRound(1, SIZE));
    expect(await storage.checkpoint('run-1', 4)).toBeUndefined();
  });

  it('refuses gaps and repeats without writing anything', async () => {
    await newRun();
    expect(await codeOf(storage.commitRound('run-1', commitFor(2)))).toBe('STORAGE_ROUND_ORDER');
    await storage.commitRound('run-1', commitFor(1));
    await storage.commitRound('run-1', commitFor(2));
    const repeat = commitFor(2, { params: modelForRound(99, SIZE) });
    expect(await codeOf(storage.commitRound('run-1', repeat))).toBe('STORAGE_ROUND_ORDER');
    expect(await codeOf(storage.commitRound('run-1', commitFor(4)))).toBe('STORAGE_ROUND_ORDER');
    expect(await codeOf(storage.commitRound('run-1', commitFor(0)))).toBe('INVALID_ARGUMENT');
    expect((await storage.rounds('run-1')).map((r) => r.round)).toEqual([1, 2]);
    expectSame((await storage.latestCheckpoint('run-1'))!.params, modelForRound(2, SIZE));
  });

  it('rolls the whole round back when the database fails mid-transaction', async () => {
    await newRun();
    await storage.commitRound('run-1', commitFor(1));
    // A second connection installs a trigger that fails the last insert of a commit (the strategy tensors), after
    // the round row and the checkpoint row were written: a real SQLite failure inside the transaction.
    const other = new Database(path);
    other.exec(`CREATE TRIGGER fail_tensors BEFORE INSERT ON checkpoint_tensors
      BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END`);
    const error = await storage.commitRound('run-1', commitFor(2)).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'STORAGE_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /committing round 2 of run "run-1" failed: simulated disk failure/,
    );

    const count = (table: string) =>
      (other.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect([count('rounds'), count('checkpoints'), count('checkpoint_tensors')]).toEqual([1, 1, 2]);
    expect((await storage.getRun('run-1'))!.lastRound).toBe(1);

    other.exec('DROP TRIGGER fail_tensors');
    other.close();
    await storage.commitRound('run-1', commitFor(2));
    expect((await storage.latestCheckpoint('run-1'))!.round).toBe(2);
  });

  it('refuses input that cannot be stored before touching the database', async () => {
    await newRun();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = commitFor(1, { strategyState: { json: cyclic, tensors: {} } });
    expect(await codeOf(storage.commitRound('run-1', bad))).toBe('INVALID_ARGUMENT');
    const notParams = commitFor(1, { params: { data: new Float32Array(3) } as unknown as ParameterSet });
    expect(await codeOf(storage.commitRound('run-1', notParams))).toBe('INVALID_ARGUMENT');
    expect((await storage.rounds('run-1')).length).toBe(0);
  });

  it('keeps only the last K checkpoints (and their strategy tensors) but every round record', async () => {
    await newRun(2);
    await newRun(undefined, 'run-all');
    for (let round = 1; round <= 5; round++) {
      await storage.commitRound('run-1', commitFor(round));
      await storage.commitRound('run-all', commitFor(round));
    }
    expect(await storage.checkpointRounds('run-1')).toEqual([4, 5]);
    expect(await storage.checkpointRounds('run-all')).toEqual([1, 2, 3, 4, 5]);
    expect((await storage.rounds('run-1')).length).toBe(5);
    expect(await storage.checkpoint('run-1', 3)).toBeUndefined();
    expectSame((await storage.checkpoint('run-1', 4))!.strategyState.tensors.m!, modelForRound(-4, SIZE));

    const raw = new Database(path, { readonly: true });
    const tensors = raw
      .prepare(
        `SELECT c.run_id AS run, count(*) AS n FROM checkpoint_tensors t JOIN checkpoints c ON c.id = t.checkpoint_id
         GROUP BY c.run_id ORDER BY c.run_id`,
      )
      .all();
    raw.close();
    expect(tensors).toEqual([
      { run: 'run-1', n: 4 },
      { run: 'run-all', n: 10 },
    ]);
    expect(await codeOf(newRun(0, 'bad'))).toBe('INVALID_ARGUMENT');
  });

  it('records events for failures that never became a committed round', async () => {
    await newRun();
    const first = await storage.recordEvent('run-1', {
      kind: 'attempt-failed',
      round: 1,
      data: { attempt: 1, reason: 'too few results', failures: [{ clientId: 'c7', cause: 'deadline' }] },
    });
    await storage.recordEvent('run-1', { kind: 'run-aborted', data: { lastRound: 0 } });
    await storage.recordEvent('run-1', { kind: 'attempt-failed', round: 1 });
    const all = await storage.events('run-1');
    expect(all.map((e) => e.kind)).toEqual(['attempt-failed', 'run-aborted', 'attempt-failed']);
    expect(all[0]).toEqual(first);
    expect(all[1]!.round).toBeUndefined();
    expect(all[2]!.data).toBeUndefined();
    expect((await storage.events('run-1', { kind: 'attempt-failed' })).length).toBe(2);
    expect(await codeOf(storage.recordEvent('nope', { kind: 'x' }))).toBe('STORAGE_NOT_FOUND');
    expect(await codeOf(storage.recordEvent('run-1', { kind: '' }))).toBe('INVALID_ARGUMENT');
  });

  it('StorageCommitter commits the engine call shape with the privacy checkpoint in the same transaction', async () => {
    await newRun();
    const committer = new StorageCommitter(storage, 'run-1');
    for (let round = 1; round <= 2; round++) {
      const { record, params, strategyState } = commitFor(round);
      await committer.commitRound(record, params, strategyState, { spent: round * 0.5 });
    }
    const latest = (await storage.latestCheckpoint('run-1'))!;
    expect(latest.privacyLedger).toEqual({ spent: 1 });
    expectSame(latest.params, modelForRound(2, SIZE));
    // Without a privacy checkpoint nothing is stored as the ledger.
    await new StorageCommitter(storage, 'run-1').commitRound(commitFor(3).record, modelForRound(3, SIZE), {
      json: null,
      tensors: {},
    });
    expect('privacyLedger' in (await storage.latestCheckpoint('run-1'))!).toBe(false);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import type { TaskOutcome } from '../engine/pool.js';
import { clientId, type SyntheticHostInit } from './test-support/synthetic-host.js';
import { fitTasks } from './test-support/tasks.js';
import { WorkerThreadPool } from './worker-pool.js';

const hostModule = new URL('./test-support/synthetic-host.ts', import.meta.url);
const init: SyntheticHostInit = { clients: 6, features: 3, classes: 2, examplesPerClient: 10, seed: 1 };
const pools: WorkerThreadPool[] = [];

async function start(hostInit: SyntheticHostInit, workers = 2): Promise<WorkerThreadPool> {
  const pool = await WorkerThreadPool.create({ workers, hostModule, init: hostInit });
  pools.push(pool);
  return pool;
}

async function collect(outcomes: AsyncIterable<TaskOutcome>): Promise<TaskOutcome[]> {
  const all: TaskOutcome[] = [];
  for await (const outcome of outcomes) all.push(outcome);
  return all;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerThreadPool', () => {
  it('serves any client on any worker and yields replies in task order, transferring frames', async () => {
    const pool = await start(init);
    expect(pool.available().map((c) => c.id)).toEqual([0, 1, 2, 3, 4, 5].map(clientId));
    const tasks = fitTasks(init, [5, 4, 3, 2, 1, 0].map(clientId));
    const outcomes = await collect(pool.dispatch(tasks, { deadline: Date.now() + 10_000 }));
    expect(outcomes.map((o) => [o.kind, o.taskId])).toEqual(tasks.map((t) => ['reply', t.taskId]));
    // Sent frames were transferred to the workers, which detaches them here.
    expect(tasks[0]!.frame.byteLength).toBe(0);
  });

  it('fails the tasks of a crashed worker with worker-crashed and keeps serving on the others', async () => {
    const pool = await start({ ...init, faults: { [clientId(2)]: 'crash-thread' } });
    const outcomes = await collect(
      pool.dispatch(fitTasks(init, [0, 1, 2, 3, 4, 5].map(clientId)), { deadline: Date.now() + 10_000 }),
    );
    const crashed = outcomes.filter((o) => o.kind === 'failed');
    expect(crashed).toHaveLength(1);
    expect(crashed[0]).toMatchObject({ clientId: clientId(2), cause: 'worker-crashed' });
    expect(crashed[0]!.kind === 'failed' && crashed[0]!.message).toMatch(
      /^worker \d crashed: injected thread crash/,
    );
    expect(pool.crashes()).toHaveLength(1);

    // The last worker dies too: dispatch then refuses with a clear error.
    const last = await collect(
      pool.dispatch(fitTasks(init, [clientId(2)]), { deadline: Date.now() + 10_000 }),
    );
    expect(last[0]).toMatchObject({ kind: 'failed', cause: 'worker-crashed' });
    let error: unknown;
    try {
      pool.dispatch(fitTasks(init, [clientId(0)]), { deadline: Date.now() + 1_000 });
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'WORKER_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/all 2 worker threads have crashed/);
    expect(pool.available()).toEqual([]);
  });

  it('reports a deadline for a straggler without waiting for it', async () => {
    const pool = await start({ ...init, faults: { [clientId(1)]: 'slow' }, slowMs: 3_000 }, 1);
    const started = Date.now();
    const outcomes = await collect(
      pool.dispatch(fitTasks(init, [clientId(0), clientId(1), clientId(2)]), { deadline: Date.now() + 300 }),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcomes.map((o) => (o.kind === 'reply' ? 'reply' : o.cause))).toEqual([
      'reply',
      'deadline',
      'deadline',
    ]);
  });

  it('refuses to start when a worker cannot build its clients', async () => {
    const error = await WorkerThreadPool.create({
      workers: 1,
      hostModule: new URL('./test-support/tasks.ts', import.meta.url),
      init,
    }).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'WORKER_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(/worker 0 could not start its clients: .*createClientHost/);
  });
});

import { describe, expect, it } from 'vitest';
import type { TaskOutcome } from '../engine/pool.js';
import { decodeMessage } from '../protocol/index.js';
import { InProcessPool } from './in-process.js';
import { clientId, createClientHost, type SyntheticHostInit } from './test-support/synthetic-host.js';
import { fitTasks } from './test-support/tasks.js';

const init: SyntheticHostInit = { clients: 4, features: 3, classes: 2, examplesPerClient: 10, seed: 1 };

async function collect(outcomes: AsyncIterable<TaskOutcome>): Promise<TaskOutcome[]> {
  const all: TaskOutcome[] = [];
  for await (const outcome of outcomes) all.push(outcome);
  return all;
}

describe('InProcessPool', () => {
  it('yields outcomes in task order even when an earlier task finishes last', async () => {
    const host = await createClientHost({ ...init, faults: { [clientId(0)]: 'slow' }, slowMs: 60 });
    const pool = new InProcessPool(host, { concurrency: 4 });
    const finished: string[] = [];
    const tasks = fitTasks(init, [0, 1, 2, 3].map(clientId));
    const outcomes = await collect(
      (async function* () {
        for await (const o of pool.dispatch(tasks, { deadline: Date.now() + 5_000 })) {
          finished.push(o.clientId);
          yield o;
        }
      })(),
    );
    expect(outcomes.map((o) => o.taskId)).toEqual(tasks.map((t) => t.taskId));
    expect(outcomes.every((o) => o.kind === 'reply')).toBe(true);
    const first = outcomes[0]!;
    expect(first.kind === 'reply' && decodeMessage(first.frame).type).toBe('fit-result');
    expect(first.kind === 'reply' && first.durationMs).toBeGreaterThanOrEqual(50);
  });

  it('fails late replies, unknown clients and host errors without throwing', async () => {
    const host = await createClientHost({ ...init, faults: { [clientId(1)]: 'slow' }, slowMs: 1_000 });
    const pool = new InProcessPool(host);
    const tasks = fitTasks(init, [clientId(0), clientId(1), 'nobody', clientId(2)]);
    tasks[3] = { ...tasks[3]!, frame: new Uint8Array([9, 9, 9]) };
    const outcomes = await collect(pool.dispatch(tasks, { deadline: Date.now() + 200 }));
    expect(outcomes.map((o) => (o.kind === 'reply' ? 'reply' : o.cause))).toEqual([
      'reply',
      'deadline',
      'unavailable',
      // With concurrency 1 the straggler used the whole deadline, so the last task never starts.
      'deadline',
    ]);
    const failed = outcomes[3]!;
    expect(failed.kind === 'failed' && failed.message).toContain('before the task could start');
  });

  it('turns an error thrown by the host into a client-error', async () => {
    const host = await createClientHost(init);
    const pool = new InProcessPool(host);
    const [task] = fitTasks(init, [clientId(0)]);
    const outcomes = await collect(
      pool.dispatch([{ ...task!, frame: new Uint8Array(3) }], { deadline: Date.now() + 1_000 }),
    );
    expect(outcomes[0]).toMatchObject({ kind: 'failed', cause: 'client-error', clientId: clientId(0) });
    await pool.close();
    expect(pool.available()).toEqual([]);
  });
});

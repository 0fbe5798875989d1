/**
 * A ClientPool whose clients live in this thread (simulation without workers). Tasks run with a bounded concurrency
 * (default 1: TensorFlow.js runs one computation at a time per thread, so more only interleaves async trainers),
 * outcomes are yielded in task order, a reply after the deadline counts as a 'deadline' failure and a thrown error as
 * a 'client-error' failure: the pool reports, the engine decides.
 */
import { FlotillaError } from '../core/index.js';
import type {
  ClientDescriptor,
  ClientPool,
  DispatchOptions,
  TaskEnvelope,
  TaskOutcome,
} from '../engine/pool.js';
import type { ClientHost } from './host.js';
import { OrderedOutcomes } from './ordered.js';

export interface InProcessPoolOptions {
  /** Tasks running at once. Default 1. */
  readonly concurrency?: number;
}

function failed(task: TaskEnvelope, cause: string, message: string): TaskOutcome {
  return { kind: 'failed', clientId: task.clientId, taskId: task.taskId, cause, message };
}

export class InProcessPool implements ClientPool {
  private readonly concurrency: number;
  private closed = false;

  constructor(
    private readonly host: ClientHost,
    options: InProcessPoolOptions = {},
  ) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `pool concurrency must be an integer >= 1, got ${concurrency}`,
      );
    }
    this.concurrency = concurrency;
  }

  available(): readonly ClientDescriptor[] {
    return this.closed ? [] : this.host.clients();
  }

  dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    const outcomes = new OrderedOutcomes(tasks.length);
    const known = new Set(this.available().map((c) => c.id));
    let next = 0;
    const lane = async () => {
      while (next < tasks.length) {
        const index = next++;
        outcomes.settle(index, await this.runTask(tasks[index]!, known, options.deadline));
      }
    };
    for (let i = 0; i < Math.min(this.concurrency, tasks.length); i++) void lane();
    return outcomes;
  }

  private async runTask(
    task: TaskEnvelope,
    known: ReadonlySet<string>,
    deadline: number,
  ): Promise<TaskOutcome> {
    if (!known.has(task.clientId))
      return failed(task, 'unavailable', `no client "${task.clientId}" in this pool`);
    if (Date.now() >= deadline)
      return failed(task, 'deadline', 'the deadline passed before the task could start');
    const start = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadline - Date.now());
    });
    try {
      const reply = await Promise.race([this.host.handle(task.clientId, task.frame), late]);
      // A synchronous trainer blocks the timer, so a reply can also be late without the timer having won.
      if (reply === 'late' || Date.now() > deadline) {
        return failed(
          task,
          'deadline',
          `no reply within the deadline (${Math.round(performance.now() - start)} ms)`,
        );
      }
      return {
        kind: 'reply',
        clientId: task.clientId,
        taskId: task.taskId,
        frame: reply,
        durationMs: performance.now() - start,
      };
    } catch (error) {
      return failed(task, 'client-error', error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

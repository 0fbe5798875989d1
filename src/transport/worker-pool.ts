/**
 * A ClientPool spread over K worker threads (`--workers K`). Every worker imports the same host module with the same
 * init and so builds the same virtual clients: any worker can serve any client, and a task goes to the least busy
 * one. Frames are transferred, not copied. Outcomes are yielded in task order, so aggregation order and results are
 * identical for 1 and K workers.
 *
 * A worker that crashes fails its in-flight tasks with 'worker-crashed' (the message names the worker and the error);
 * the remaining workers carry on, and once none is left `dispatch` throws WORKER_FAILED.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FlotillaError } from '../core/index.js';
import type {
  ClientDescriptor,
  ClientPool,
  DispatchOptions,
  TaskEnvelope,
  TaskOutcome,
} from '../engine/pool.js';
import { forTransfer } from './frames.js';
import { OrderedOutcomes } from './ordered.js';
import type { WorkerInit, WorkerMessage } from './worker-protocol.js';

export interface WorkerThreadPoolOptions {
  readonly workers: number;
  /** Module exporting `createClientHost(init)`, imported by every worker. */
  readonly hostModule: URL;
  /** Structured-cloneable value handed to `createClientHost` in every worker. */
  readonly init: unknown;
  /** Tasks one worker runs at once. Default 1 (one TensorFlow.js computation per thread at a time). */
  readonly tasksPerWorker?: number;
  /**
   * Serve each client from one fixed worker (its position in the client list modulo the workers) instead of the
   * least busy one, for clients that keep state between tasks: a secure-aggregation round's keys, SCAFFOLD's c_i.
   * Default false.
   */
  readonly stickyClients?: boolean;
}

export interface WorkerCrash {
  readonly worker: number;
  readonly message: string;
}

interface Job {
  readonly task: TaskEnvelope;
  readonly index: number;
  readonly outcomes: OrderedOutcomes;
  readonly deadline: number;
  started: number;
}

interface Slot {
  readonly index: number;
  readonly worker: Worker;
  readonly inFlight: Map<number, Job>;
  alive: boolean;
}

function failed(job: Job, cause: string, message: string): TaskOutcome {
  return { kind: 'failed', clientId: job.task.clientId, taskId: job.task.taskId, cause, message };
}

/**
 * How to start a worker on the entry module. Compiled (.js) code starts it directly. Under a TypeScript runner
 * (vitest, tsx) the entry or host module is a .ts file; Node 20 does not apply `--import tsx` to a worker's entry
 * module, so a one-line bootstrap registers tsx's loader in the worker and then imports the entry.
 */
function workerSource(entry: URL, hostModule: URL): { source: string | URL; eval: boolean } {
  if (!entry.href.endsWith('.ts') && !hostModule.href.endsWith('.ts')) return { source: entry, eval: false };
  // require.resolve finds tsx's CommonJS build of its API; the loader must be registered from the ESM build, which
  // tsx's export map places beside it (dist/esm/api/index.cjs -> index.mjs).
  const tsxApi = createRequire(import.meta.url)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const source =
    `import(${JSON.stringify(pathToFileURL(tsxApi).href)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return { source, eval: true };
}

export class WorkerThreadPool implements ClientPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly crashList: WorkerCrash[] = [];
  private seq = 0;
  private closing = false;
  /** With stickyClients: the one worker that serves each client. */
  private readonly homes: ReadonlyMap<string, Slot> | undefined;

  private constructor(
    slots: Slot[],
    private readonly clientList: readonly ClientDescriptor[],
    private readonly tasksPerWorker: number,
    sticky: boolean,
  ) {
    this.slots = slots;
    this.homes = sticky ? new Map(clientList.map((c, i) => [c.id, slots[i % slots.length]!])) : undefined;
    for (const slot of slots) {
      slot.worker.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
      slot.worker.on('error', (error) => this.onCrash(slot, error.message));
      slot.worker.on('exit', (code) => this.onCrash(slot, `exited with code ${code}`));
    }
  }

  /** Starts the workers and waits until each has built its clients; throws WORKER_FAILED if any cannot. */
  static async create(options: WorkerThreadPoolOptions): Promise<WorkerThreadPool> {
    const { workers, hostModule } = options;
    const tasksPerWorker = options.tasksPerWorker ?? 1;
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new FlotillaError('INVALID_ARGUMENT', `workers must be an integer >= 1, got ${workers}`);
    }
    if (!Number.isSafeInteger(tasksPerWorker) || tasksPerWorker < 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `tasksPerWorker must be an integer >= 1, got ${tasksPerWorker}`,
      );
    }
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const { source, eval: isEval } = workerSource(
      new URL(`./worker-entry${ext}`, import.meta.url),
      hostModule,
    );
    const workerData: WorkerInit = { hostModule: hostModule.href, init: options.init };
    const started = Array.from({ length: workers }, () => new Worker(source, { eval: isEval, workerData }));
    try {
      const lists = await Promise.all(started.map((worker, i) => waitReady(worker, i)));
      const ids = lists[0]!.map((c) => c.id).join('\n');
      const differing = lists.findIndex((list) => list.map((c) => c.id).join('\n') !== ids);
      if (differing >= 0) {
        throw new FlotillaError(
          'WORKER_FAILED',
          `worker ${differing} built different clients than worker 0: ` +
            `the host module must build the same clients from the same init in every worker`,
        );
      }
      const slots = started.map((worker, index) => ({
        index,
        worker,
        inFlight: new Map<number, Job>(),
        alive: true,
      }));
      return new WorkerThreadPool(slots, lists[0]!, tasksPerWorker, options.stickyClients ?? false);
    } catch (error) {
      await Promise.all(started.map((w) => w.terminate()));
      throw error;
    }
  }

  available(): readonly ClientDescriptor[] {
    return this.closing || !this.slots.some((s) => s.alive) ? [] : this.clientList;
  }

  /** Workers that have crashed so far, with their errors. */
  crashes(): readonly WorkerCrash[] {
    return this.crashList;
  }

  dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    if (this.closing) throw new FlotillaError('WORKER_FAILED', 'the worker pool is closed');
    if (!this.slots.some((s) => s.alive)) {
      const last = this.crashList[this.crashList.length - 1];
      throw new FlotillaError(
        'WORKER_FAILED',
        `all ${this.slots.length} worker threads have crashed (last: worker ${last?.worker}: ${last?.message})`,
      );
    }
    const outcomes = new OrderedOutcomes(tasks.length);
    const known = new Set(this.clientList.map((c) => c.id));
    const jobs: Job[] = [];
    tasks.forEach((task, index) => {
      const job: Job = { task, index, outcomes, deadline: options.deadline, started: 0 };
      if (known.has(task.clientId)) jobs.push(job);
      else outcomes.settle(index, failed(job, 'unavailable', `no client "${task.clientId}" in this pool`));
    });
    this.queue.push(...jobs);
    if (jobs.length > 0) {
      // One timer per dispatch: whatever is unsettled at the deadline (queued or running) becomes a 'deadline' failure.
      const timer = setTimeout(() => this.expire(jobs), Math.max(0, options.deadline - Date.now()));
      void outcomes.done().then(() => clearTimeout(timer));
    }
    this.pump();
    return outcomes;
  }

  /** Sends queued jobs to the least busy live workers (or each to its client's worker, with stickyClients). */
  private pump(): void {
    for (let q = 0; q < this.queue.length;) {
      const job = this.queue[q]!;
      if (job.outcomes.isSettled(job.index)) {
        this.queue.splice(q, 1);
        continue;
      }
      const home = this.homes?.get(job.task.clientId);
      if (home && !home.alive) {
        this.queue.splice(q, 1);
        job.outcomes.settle(
          job.index,
          failed(job, 'worker-crashed', `worker ${home.index}, which serves this client, has crashed`),
        );
        continue;
      }
      const slot = home ? (this.hasRoom(home) ? home : undefined) : this.leastBusy();
      if (!slot) {
        // Without homes every worker is full; with them, a later job's worker may still have room.
        if (!home) return;
        q++;
        continue;
      }
      this.queue.splice(q, 1);
      const seq = ++this.seq;
      job.started = performance.now();
      slot.inFlight.set(seq, job);
      const { frame, transfer } = forTransfer(job.task.frame);
      slot.worker.postMessage({ seq, clientId: job.task.clientId, frame }, transfer);
    }
  }

  private hasRoom(slot: Slot): boolean {
    return slot.alive && slot.inFlight.size < this.tasksPerWorker;
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) {
      if (this.hasRoom(slot) && (!best || slot.inFlight.size < best.inFlight.size)) best = slot;
    }
    return best;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.type !== 'reply' && message.type !== 'error') return;
    const job = slot.inFlight.get(message.seq);
    if (!job) return;
    slot.inFlight.delete(message.seq);
    if (message.type === 'error') {
      job.outcomes.settle(job.index, failed(job, 'client-error', message.message));
    } else if (Date.now() > job.deadline) {
      job.outcomes.settle(job.index, failed(job, 'deadline', `reply arrived after the deadline`));
    } else {
      job.outcomes.settle(job.index, {
        kind: 'reply',
        clientId: job.task.clientId,
        taskId: job.task.taskId,
        frame: message.frame,
        durationMs: message.durationMs,
      });
    }
    this.pump();
  }

  private expire(jobs: readonly Job[]): void {
    for (const job of jobs) {
      const waited =
        job.started > 0 ? ` (${Math.round(performance.now() - job.started)} ms)` : ' (never started)';
      job.outcomes.settle(job.index, failed(job, 'deadline', `no reply within the deadline${waited}`));
    }
  }

  private onCrash(slot: Slot, reason: string): void {
    if (this.closing || !slot.alive) return;
    slot.alive = false;
    const message = `worker ${slot.index} crashed: ${reason}`;
    this.crashList.push({ worker: slot.index, message: reason });
    for (const job of slot.inFlight.values())
      job.outcomes.settle(job.index, failed(job, 'worker-crashed', message));
    slot.inFlight.clear();
    if (!this.slots.some((s) => s.alive)) {
      for (const job of this.queue.splice(0)) {
        job.outcomes.settle(
          job.index,
          failed(job, 'worker-crashed', `no worker left to run the task (${message})`),
        );
      }
    }
    this.pump();
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const job of this.queue.splice(0)) {
      job.outcomes.settle(job.index, failed(job, 'unavailable', 'the worker pool was closed'));
    }
    for (const slot of this.slots) {
      for (const job of slot.inFlight.values()) {
        job.outcomes.settle(job.index, failed(job, 'unavailable', 'the worker pool was closed'));
      }
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

/** Resolves with the worker's clients once it is ready; rejects with WORKER_FAILED if it fails or dies first. */
function waitReady(worker: Worker, index: number): Promise<readonly ClientDescriptor[]> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      cleanup();
      reject(new FlotillaError('WORKER_FAILED', `worker ${index} could not start its clients: ${reason}`));
    };
    const onMessage = (message: WorkerMessage) => {
      if (message.type === 'ready') {
        cleanup();
        resolve(message.clients);
      } else if (message.type === 'init-failed') {
        fail(message.message);
      }
    };
    const onError = (error: Error) => fail(error.message);
    const onExit = (code: number) => fail(`exited with code ${code}`);
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

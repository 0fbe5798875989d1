/**
 * Yields one outcome per task in task order, whatever order the tasks finish in. Simulation pools use it so that the
 * aggregation order, and hence the float32 results, do not depend on scheduling or on the number of workers.
 */
import type { TaskOutcome } from '../engine/pool.js';

export class OrderedOutcomes {
  private readonly promises: Promise<TaskOutcome>[];
  private readonly resolvers: ((outcome: TaskOutcome) => void)[] = [];
  private readonly settled: boolean[];

  constructor(count: number) {
    this.promises = Array.from(
      { length: count },
      (_, i) => new Promise<TaskOutcome>((resolve) => (this.resolvers[i] = resolve)),
    );
    this.settled = new Array<boolean>(count).fill(false);
  }

  /** Records the outcome of task `index`. Only the first outcome of a task counts; returns whether it was first. */
  settle(index: number, outcome: TaskOutcome): boolean {
    if (this.settled[index]) return false;
    this.settled[index] = true;
    this.resolvers[index]!(outcome);
    return true;
  }

  isSettled(index: number): boolean {
    return this.settled[index] === true;
  }

  /** Resolves once every task has an outcome. */
  async done(): Promise<void> {
    await Promise.all(this.promises);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TaskOutcome> {
    for (const promise of this.promises) yield await promise;
  }
}

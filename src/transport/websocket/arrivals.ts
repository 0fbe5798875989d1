/**
 * Outcomes in arrival order: network pools yield each task's outcome as soon as it is known (a reply, a deadline, a
 * disconnect), so the engine folds results while slower clients are still training.
 */
import type { TaskOutcome } from '../../engine/pool.js';

export class ArrivalQueue implements AsyncIterable<TaskOutcome> {
  private readonly ready: TaskOutcome[] = [];
  private wake: (() => void) | undefined;
  private remaining: number;

  constructor(expected: number) {
    this.remaining = expected;
  }

  push(outcome: TaskOutcome): void {
    this.ready.push(outcome);
    this.remaining--;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TaskOutcome> {
    for (;;) {
      while (this.ready.length > 0) {
        yield this.ready.shift()!;
      }
      if (this.remaining <= 0 && this.ready.length === 0) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * How many worker threads a simulation really uses. A thread beyond the number of clients has nothing to train, and
 * one beyond the machine's cores only adds context switches and per-thread model copies (64 threads for 3 clients
 * ran 17 times slower than 1), so the request is capped at both, and the user is told what was used and why.
 */
import { availableParallelism } from 'node:os';

export interface WorkerCount {
  readonly workers: number;
  /** One line saying the request was capped, and at what; undefined when it was used as asked. */
  readonly notice?: string;
}

export function workerCount(
  requested: number,
  clients: number,
  cores: number = availableParallelism(),
): WorkerCount {
  const workers = Math.max(1, Math.min(requested, clients, cores));
  if (workers === requested) return { workers };
  const limits = [
    ...(clients < requested ? [`the run has ${clients} client${clients === 1 ? '' : 's'}`] : []),
    ...(cores < requested ? [`this machine has ${cores} core${cores === 1 ? '' : 's'}`] : []),
  ];
  return {
    workers,
    notice: `using ${workers} worker thread${workers === 1 ? '' : 's'}, not ${requested}: ${limits.join(' and ')}`,
  };
}

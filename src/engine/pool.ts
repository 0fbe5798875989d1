/**
 * The ClientPool: how the engine reaches clients, whatever the transport (DESIGN principle 2). Pools carry encoded
 * protocol frames, never decoded objects, so every transport is measured and validated the same way. The in-process
 * and worker-thread pools (simulation) and the WebSocket pool (deployment) implement it.
 */
export interface ClientDescriptor {
  readonly id: string;
  /** Free-form properties a selector may use (e.g. a hospital's region); not used by the engine itself. */
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
}

export interface TaskEnvelope {
  readonly clientId: string;
  readonly taskId: string;
  /** An encoded protocol message (fit-task or evaluate-task). */
  readonly frame: Uint8Array;
}

export type TaskOutcome =
  | {
      readonly kind: 'reply';
      readonly clientId: string;
      readonly taskId: string;
      /** The client's encoded reply (fit-result, evaluate-result or task-failed). */
      readonly frame: Uint8Array;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'failed';
      readonly clientId: string;
      readonly taskId: string;
      /** 'deadline' | 'disconnected' | 'unavailable' | 'transport-error' */
      readonly cause: string;
      readonly message: string;
    };

export interface DispatchOptions {
  /** Absolute time (ms since the epoch, Date.now() clock) by which replies must arrive. */
  readonly deadline: number;
}

export interface ClientPool {
  /** Clients that can take a task now. */
  available(): readonly ClientDescriptor[];
  /**
   * Sends each task to its client and yields exactly one outcome per task: its reply, or a failure (including
   * 'deadline' for a reply that did not arrive in time). Simulation pools yield in the order of `tasks` so runs are
   * reproducible whatever the thread timing; network pools yield in arrival order.
   */
  dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome>;
  /**
   * Implemented by a pool whose clients come and go (deployment): resolves once at least `count` clients are
   * available, or when `signal` aborts or the pool closes (the caller checks which). A pool without it has a fixed
   * set of clients (simulation), so the engine neither waits for clients nor pauses between attempts on it.
   */
  waitForClients?(count: number, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Messages between the worker-thread pool and its workers (structured-cloned; frames transferred). */
import type { ClientDescriptor } from '../engine/pool.js';

export interface WorkerInit {
  /** URL (href) of the host module to import. */
  readonly hostModule: string;
  /** Passed to the module's createClientHost. */
  readonly init: unknown;
}

export interface TaskRequest {
  readonly seq: number;
  readonly clientId: string;
  readonly frame: Uint8Array;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly clients: readonly ClientDescriptor[] }
  | { readonly type: 'init-failed'; readonly message: string }
  | { readonly type: 'reply'; readonly seq: number; readonly frame: Uint8Array; readonly durationMs: number }
  | { readonly type: 'error'; readonly seq: number; readonly message: string };

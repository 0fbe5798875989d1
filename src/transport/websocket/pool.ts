/**
 * The deployment ClientPool (DESIGN principle 2): the same RoundEngine that runs simulations sends its task frames
 * through this pool to client processes connected over WebSockets. The pool tracks authenticated connections,
 * sends each task to its client's connection, and yields outcomes in arrival order: a reply, 'deadline' when the
 * reply did not arrive in time, 'disconnected' when the connection dropped with the task open, 'unavailable' when the
 * client was not connected, 'backpressure' when its connection could not take more data.
 *
 * It does not listen on a port: the server (src/server) owns HTTP, TLS and the upgrade, and hands each WebSocket to
 * `accept`.
 */
import type { WebSocket } from 'ws';
import { TypedEmitter } from '../../core/index.js';
import type {
  ClientDescriptor,
  ClientPool,
  DispatchOptions,
  TaskEnvelope,
  TaskOutcome,
} from '../../engine/pool.js';
import {
  ByteBudget,
  encodeControl,
  kindByCode,
  peekFields,
  peekKindCode,
  type RefusalCode,
} from '../../protocol/index.js';
import { ArrivalQueue } from './arrivals.js';
import {
  DEFAULT_SESSION_LIMITS,
  ServerSession,
  type Authenticator,
  type ConnectionInfo,
  type SessionLimits,
} from './session.js';

export interface PoolEvents {
  'client-connected': {
    readonly clientId: string;
    readonly sessionId: string;
    readonly remoteAddress?: string;
    /** The platform the client declared in its hello, e.g. node-20.20.2-wasm or browser-webgl. */
    readonly runtime?: string;
  };
  'client-disconnected': { readonly clientId: string; readonly sessionId: string; readonly reason: string };
  /** A connection refused: bad handshake, credential, message, rate, size... (logged by the server). */
  refused: {
    readonly clientId?: string;
    readonly remoteAddress?: string;
    readonly code: RefusalCode;
    readonly message: string;
  };
}

export interface WebSocketClientPoolOptions {
  readonly authenticator: Authenticator;
  readonly limits?: Partial<SessionLimits>;
}

interface Waiting {
  readonly clientId: string;
  readonly start: number;
  readonly settle: (outcome: TaskOutcome) => void;
}

export class WebSocketClientPool implements ClientPool {
  readonly events = new TypedEmitter<PoolEvents>();
  readonly limits: SessionLimits;
  private readonly authenticator: Authenticator;
  /** Ready sessions by client id: one per client, the latest connection wins. */
  private readonly sessions = new Map<string, ServerSession>();
  /** Sessions not yet ready (handshake in progress), so close() can reach them. */
  private readonly connecting = new Set<ServerSession>();
  /** Tasks dispatched and not yet settled, by task id. */
  private readonly waiting = new Map<string, Waiting>();
  private readonly arrivalWatchers = new Set<() => void>();
  private closed = false;
  private closedWith: RefusalCode = 'SERVER_SHUTDOWN';
  /** Bytes held for chunked messages still arriving, on every connection together. */
  private readonly reassembly: ByteBudget;

  constructor(options: WebSocketClientPoolOptions) {
    this.authenticator = options.authenticator;
    this.limits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
    this.reassembly = new ByteBudget(this.limits.maxReassemblyBytes);
  }

  /** Bytes the server holds now for chunked messages still arriving (bounded by maxReassemblyBytes). */
  get reassemblyBytes(): number {
    return this.reassembly.used;
  }

  /** Takes over a freshly upgraded WebSocket; the client must now say hello. */
  accept(socket: WebSocket, info: ConnectionInfo = {}): void {
    if (this.closed) {
      socket.send(
        encodeControl({
          type: 'refusal',
          code: this.closedWith,
          message: 'the server takes no clients',
          retryable: this.closedWith !== 'RUN_FINISHED',
        }),
      );
      socket.close(1001, this.closedWith);
      return;
    }
    const session: ServerSession = new ServerSession(
      socket,
      info,
      this.limits,
      this.authenticator,
      {
        ready: (s) => this.ready(s, info),
        reply: (s, taskId, frame) => this.reply(s, taskId, frame),
        closed: (s, reason) => this.sessionClosed(s, reason),
        refused: (event) => this.events.emit('refused', event),
      },
      this.reassembly,
    );
    this.connecting.add(session);
  }

  available(): readonly ClientDescriptor[] {
    if (this.closed) return [];
    return [...this.sessions.keys()].map((id) => ({ id }));
  }

  /** Client ids connected now, with their session ids and declared runtimes (for the admin API). */
  connected(): { clientId: string; sessionId: string; runtime?: string; bufferedBytes: number }[] {
    return [...this.sessions.values()].map((s) => ({
      clientId: s.clientId!,
      sessionId: s.sessionId,
      ...(s.capabilities ? { runtime: s.capabilities.runtime } : {}),
      bufferedBytes: s.bufferedAmount,
    }));
  }

  /** Resolves once at least `count` clients are connected (the round policy's "minimum clients to start"). */
  async waitForClients(count: number, signal?: AbortSignal): Promise<void> {
    while (this.sessions.size < count && !signal?.aborted && !this.closed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.arrivalWatchers.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.arrivalWatchers.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** Closes a client's connection with a refusal (e.g. its credential was just revoked). */
  disconnect(clientId: string, code: RefusalCode, message: string): boolean {
    const session = this.sessions.get(clientId);
    if (!session) return false;
    session.refuse(code, message, false);
    return true;
  }

  dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    const queue = new ArrivalQueue(tasks.length);
    const open = new Set<string>();
    const settleWith = (task: TaskEnvelope) => (outcome: TaskOutcome) => {
      if (!open.delete(task.taskId)) return;
      this.waiting.delete(task.taskId);
      queue.push(outcome);
      if (open.size === 0) clearTimeout(timer);
    };
    const fail = (task: TaskEnvelope, cause: string, message: string) =>
      settleWith(task)({ kind: 'failed', clientId: task.clientId, taskId: task.taskId, cause, message });

    for (const task of tasks) open.add(task.taskId);
    const timer = setTimeout(
      () => {
        for (const task of tasks) {
          if (!open.has(task.taskId)) continue;
          this.sessions.get(task.clientId)?.expire(task.taskId);
          fail(task, 'deadline', `no reply within the deadline`);
        }
      },
      Math.max(0, options.deadline - Date.now()),
    );

    for (const task of tasks) {
      const session = this.sessions.get(task.clientId);
      if (!session || this.closed) {
        fail(task, 'unavailable', `client "${task.clientId}" is not connected`);
        continue;
      }
      const fields = peekFields(task.frame);
      const kind = kindByCode(peekKindCode(task.frame) ?? 0);
      const round = fields?.round;
      if (!kind || typeof round !== 'number') {
        fail(task, 'transport-error', 'the task frame is not a task message');
        continue;
      }
      this.waiting.set(task.taskId, {
        clientId: task.clientId,
        start: performance.now(),
        settle: settleWith(task),
      });
      if (!session.sendTask(task.taskId, round, kind.type, task.frame)) {
        fail(
          task,
          'backpressure',
          `client "${task.clientId}" has ${session.bufferedAmount} bytes unsent; cap is ${this.limits.maxBufferedBytes}`,
        );
      }
    }
    return queue;
  }

  /**
   * Disconnects every client and takes no more. With 'RUN_FINISHED' clients are told the run is over (they exit);
   * with the default 'SERVER_SHUTDOWN' they are told to come back later.
   */
  async close(code: 'SERVER_SHUTDOWN' | 'RUN_FINISHED' = 'SERVER_SHUTDOWN'): Promise<void> {
    this.closed = true;
    this.closedWith = code;
    const message = code === 'RUN_FINISHED' ? 'the run is complete' : 'the server is shutting down';
    for (const session of [...this.sessions.values(), ...this.connecting]) {
      session.refuse(code, message, code !== 'RUN_FINISHED');
    }
    for (const watch of [...this.arrivalWatchers]) watch();
  }

  private ready(session: ServerSession, info: ConnectionInfo): void {
    this.connecting.delete(session);
    const clientId = session.clientId!;
    const previous = this.sessions.get(clientId);
    // The newest authenticated connection wins: a client that reconnects before the server noticed its old
    // connection die must not be locked out by it.
    this.sessions.set(clientId, session);
    previous?.refuse('SUPERSEDED', 'a newer connection of this client took over', true);
    this.events.emit('client-connected', {
      clientId,
      sessionId: session.sessionId,
      ...(info.remoteAddress ? { remoteAddress: info.remoteAddress } : {}),
      ...(session.capabilities ? { runtime: session.capabilities.runtime } : {}),
    });
    for (const watch of [...this.arrivalWatchers]) watch();
  }

  private reply(session: ServerSession, taskId: string, frame: Uint8Array): void {
    const waiting = this.waiting.get(taskId);
    if (!waiting || waiting.clientId !== session.clientId) return;
    waiting.settle({
      kind: 'reply',
      clientId: waiting.clientId,
      taskId,
      frame,
      durationMs: performance.now() - waiting.start,
    });
  }

  private sessionClosed(session: ServerSession, reason: string): void {
    this.connecting.delete(session);
    const clientId = session.clientId;
    if (clientId === undefined) return;
    // Tasks sent on this connection fail now, even when a newer connection of the client already took over.
    for (const taskId of session.pendingTasks()) {
      const waiting = this.waiting.get(taskId);
      waiting?.settle({ kind: 'failed', clientId, taskId, cause: 'disconnected', message: reason });
    }
    if (this.sessions.get(clientId) !== session) return;
    this.sessions.delete(clientId);
    this.events.emit('client-disconnected', { clientId, sessionId: session.sessionId, reason });
  }
}

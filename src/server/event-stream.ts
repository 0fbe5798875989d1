/**
 * `GET /api/events`: the run's live events as Server-Sent Events. Server-Sent Events rather than a WebSocket: the
 * stream only flows from server to operator, it is one ordinary HTTP response behind the same admin check as the
 * rest of /api (the page reads it with fetch() and an Authorization header, since EventSource cannot send one), and
 * it needs no second protocol on the port the clients' WebSockets use.
 *
 * Each subscriber first gets a `snapshot` event (the whole DashboardState), then every live event in order, so
 * nothing falls between the snapshot and the stream. Every event is serialized once for all subscribers, and the
 * events of one tick of the event loop (a round's burst of results) go out in one write per subscriber, after the
 * engine's handlers return; a write never waits. A subscriber that does not read (a stalled tab, a slow link) accumulates bytes in its response's
 * buffer: past `maxQueuedBytes` it is dropped (its connection closed; the page reconnects and gets a fresh
 * snapshot), so a slow dashboard costs the round nothing and its memory is bounded.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { LiveEventName, LiveEvents } from '../telemetry/live/dashboard-state.js';
import type { LiveState } from '../telemetry/live/live-state.js';

export interface EventStreamOptions {
  /** Unsent bytes a subscriber may have buffered beyond its snapshot before it is dropped. Default 1 MiB. */
  readonly maxQueuedBytes?: number;
  /** A comment line this often keeps idle connections (and proxies) from closing the stream. Default 15 s. */
  readonly heartbeatMs?: number;
}

interface Subscriber {
  readonly res: ServerResponse;
  /** Buffered bytes past which this subscriber is dropped. */
  readonly limit: number;
}

export class EventStream {
  /** Subscribers dropped for not reading fast enough. */
  dropped = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly maxQueuedBytes: number;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private nextId = 1;
  /** Frames not yet written, flushed together at the end of the tick. */
  private pending: string[] = [];

  constructor(
    private readonly live: LiveState,
    options: EventStreamOptions = {},
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
    this.unsubscribe = live.onEvent((name, payload) => this.publish(name, payload));
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Starts a stream on an authenticated request's response: headers, the snapshot, then live events. */
  open(res: ServerResponse, socket: Socket): void {
    // The stream is long-lived by design: the front's idle timeout must not cut it (the heartbeat keeps it honest).
    socket.setTimeout(0);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // The snapshot already reflects the pending events: they go to the earlier subscribers only.
    this.flush();
    const snapshot = this.frame('snapshot', this.live.state);
    res.write(snapshot);
    const subscriber: Subscriber = { res, limit: Buffer.byteLength(snapshot) + this.maxQueuedBytes };
    this.subscribers.add(subscriber);
    res.on('close', () => this.subscribers.delete(subscriber));
  }

  /**
   * Ends every stream (the server is closing) once its last events have left: each response is ended, then its
   * connection, so what was still buffered (the run's final events) reaches the dashboard before the server's close
   * destroys the connections it sees idle. Bounded, so a peer that never reads cannot hold the shutdown.
   */
  async close(boundMs = 2000): Promise<void> {
    this.flush();
    clearInterval(this.heartbeat);
    this.unsubscribe();
    const ending = [...this.subscribers].map(({ res }) => endAfterFlush(res, boundMs));
    this.subscribers.clear();
    await Promise.all(ending);
  }

  private publish<K extends LiveEventName>(name: K, payload: LiveEvents[K]): void {
    if (this.subscribers.size === 0) {
      this.nextId++;
      return;
    }
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(this.frame(name, payload));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const frames = this.pending.join('');
    this.pending = [];
    this.broadcast(frames);
  }

  private frame(name: string, payload: unknown): string {
    // JSON.stringify never emits a raw newline, so the payload is one `data:` line.
    return `id: ${this.nextId++}\nevent: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
  }

  private broadcast(frames: string): void {
    const bytes = Buffer.byteLength(frames);
    for (const subscriber of this.subscribers) {
      const { res, limit } = subscriber;
      if (res.writableLength + bytes > limit) {
        this.dropped++;
        this.subscribers.delete(subscriber);
        res.destroy();
        continue;
      }
      res.write(frames);
    }
  }
}

/** Ends a stream's response, then its connection (a FIN after the buffered bytes); resolves when it closed. */
function endAfterFlush(res: ServerResponse, boundMs: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = res.socket;
    if (!socket || socket.destroyed) {
      res.end();
      return resolve();
    }
    const bound = setTimeout(() => {
      socket.destroy();
      resolve();
    }, boundMs);
    socket.once('close', () => {
      clearTimeout(bound);
      resolve();
    });
    res.end(() => socket.end());
  });
}

/**
 * Keeps a client connected: after a network failure or a server restart it reconnects with exponential backoff and
 * jitter (so a restarted server is not hit by every client at the same instant), and gives up only when the server
 * refuses it for good (bad credential, unsupported version), its certificate does not verify, or it says the run is
 * finished. Browser-safe.
 */
import { FlotillaError } from '../core/index.js';
import { ClientConnection, refusalError, type ConnectionEnd, type ConnectionOptions } from './connection.js';

export interface ReconnectOptions extends ConnectionOptions {
  /** First retry delay; doubles per failed attempt up to maxDelayMs. Default 500 ms. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
  /** Called after each connection ends, with the delay before the next attempt. */
  readonly onDisconnect?: (end: ConnectionEnd, retryInMs: number) => void;
  /**
   * Something that fires 'online' when the network comes back (a browser's window or worker scope): the wait before
   * the next attempt ends at once, so a page back online reconnects without sitting out its backoff.
   */
  readonly wake?: OnlineEvents;
}

/** The part of a browser's window or worker scope that says the network is back. */
export interface OnlineEvents {
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

/** Equal jitter: half the backoff is fixed, half random, so retries spread out but never collapse to zero. */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return cap / 2 + random() * (cap / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined, wake: OnlineEvents | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      wake?.removeEventListener('online', done);
      resolve();
    }
    // Aborted already (e.g. by an onDisconnect listener): an abort event will never come.
    if (signal?.aborted) return done();
    signal?.addEventListener('abort', done, { once: true });
    wake?.addEventListener('online', done);
  });
}

/**
 * Resolves 'finished' when the server ends the run, 'stopped' when `signal` aborts; rejects (AUTH_FAILED,
 * PROTOCOL_VERSION, CONNECTION_CLOSED) when the server refuses the client without a chance of success later, and
 * TLS_INVALID when the server's certificate does not verify or the TLS handshake is refused.
 */
export async function runWithReconnect(options: ReconnectOptions): Promise<'finished' | 'stopped'> {
  const initial = options.initialDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  let failures = 0;
  while (!options.signal?.aborted) {
    const connection = new ClientConnection(options);
    const stop = () => connection.close();
    options.signal?.addEventListener('abort', stop, { once: true });
    const end = await connection.done;
    options.signal?.removeEventListener('abort', stop);
    if (end.refusal?.code === 'RUN_FINISHED') return 'finished';
    if (end.refusal && !end.refusal.retryable) throw refusalError(end.refusal);
    // The failures retrying cannot fix are TLS ones (socket-error.ts): a certificate that does not verify.
    if (end.failure && !end.failure.retryable) throw new FlotillaError('TLS_INVALID', end.failure.message);
    if (options.signal?.aborted) break;
    failures = end.welcomed ? 0 : failures + 1;
    const delay = backoffDelay(failures, initial, max);
    options.onDisconnect?.(end, delay);
    await sleep(delay, options.signal, options.wake);
  }
  return 'stopped';
}

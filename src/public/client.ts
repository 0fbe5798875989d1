/**
 * `flotilla/client`: connect the user's own Trainer to a Flotilla server from a Node program. The same client
 * runtime as `flotilla client` (handshake, tasks, the update pipeline, reconnects with backoff) runs it.
 *
 * @module flotilla/client
 */
import { readFileSync } from 'node:fs';
import { ClientRuntime, runWithReconnect } from '../client/index.js';
import { nodeResourceProbe, nodeWebSocketFactory } from '../client/node/index.js';
import { FlotillaError, type ParameterSet, type Trainer } from '../core/index.js';

/**
 * What a client reports as it runs (all optional).
 * @example
 * ```ts
 * await runClient({ ...options, on: { task: (t) => console.log(t.type, t.round), disconnect: (d) => console.warn(d.reason) } });
 * ```
 */
export interface ClientListeners {
  /** The server accepted the client (after each reconnect too). */
  readonly welcome?: (event: { readonly sessionId: string }) => void;
  /** A task was answered; `type` is the reply's kind: 'fit-result', 'evaluate-result', 'task-failed', ... */
  readonly task?: (event: {
    readonly type: string;
    readonly round: number;
    readonly taskId: string;
    readonly ms: number;
  }) => void;
  /** The global parameters a task brought. */
  readonly globalModel?: (params: ParameterSet, round: number) => void;
  /** The connection ended; the client retries after `retryInMs`. */
  readonly disconnect?: (event: { readonly reason: string; readonly retryInMs: number }) => void;
}

/**
 * What {@link runClient} runs.
 * @example
 * ```ts
 * const options: RunClientOptions = { server: 'wss://coordinator:8443/ws', id: 'alice', token, ca: 'ca.crt', trainer };
 * await runClient(options);
 * ```
 */
export interface RunClientOptions {
  /** The server's endpoint, e.g. `wss://127.0.0.1:8443/ws`. */
  readonly server: string;
  /** This client's registered name. */
  readonly id: string;
  /** Its bearer token (from `flotilla clients add` or `FlotillaServer.addClient`); empty under mutual TLS. */
  readonly token: string;
  /** The user's training code on this client's data. */
  readonly trainer: Trainer;
  /** The CA certificate to trust (a private CA from `flotilla certs init`): PEM text, or the path of a PEM file. */
  readonly ca?: string;
  /** A client certificate and key for mutual TLS: PEM text, or paths. */
  readonly cert?: string;
  readonly key?: string;
  /** This client's own privacy budget for local DP and DP-SGD: it refuses an update that would exceed it. */
  readonly privacyBudget?: { readonly epsilon: number; readonly delta: number };
  /** Stops the client (it resolves 'stopped'). */
  readonly signal?: AbortSignal;
  readonly on?: ClientListeners;
}

/** PEM text as is; anything else is a file path, read now so that a missing file fails at once and by name. */
function pem(value: string | undefined, what: string): string | Buffer | undefined {
  if (value === undefined || value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value);
  } catch (error) {
    throw new FlotillaError(
      'TLS_INVALID',
      `cannot read the ${what} ${value}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * Runs a client until the server ends the run ('finished') or `signal` aborts ('stopped'): it answers the server's
 * fit and evaluate tasks with `trainer` and reconnects after network failures. Rejects with a
 * {@link FlotillaError} when the server refuses it for good (AUTH_FAILED, PROTOCOL_VERSION) or its certificate does
 * not verify (TLS_INVALID).
 *
 * @example
 * ```ts
 * import { runClient } from 'flotilla/client';
 * import { ParameterSet, type Trainer } from 'flotilla';
 *
 * declare const myTrainer: Trainer; // your training code, see the Trainer interface
 * const outcome = await runClient({
 *   server: 'wss://127.0.0.1:8443/ws',
 *   id: 'alice',
 *   token: process.env.FLOTILLA_TOKEN ?? '',
 *   ca: 'certs/ca.crt',
 *   trainer: myTrainer,
 *   on: { task: (t) => console.log(`round ${t.round}: ${t.type}`) },
 * });
 * console.log(outcome); // 'finished'
 * ```
 */
export async function runClient(options: RunClientOptions): Promise<'finished' | 'stopped'> {
  const { trainer, on = {} } = options;
  if (typeof trainer?.fit !== 'function' || typeof trainer.evaluate !== 'function') {
    throw new FlotillaError('INVALID_ARGUMENT', '"trainer" must have fit and evaluate methods');
  }
  for (const key of ['server', 'id', 'token'] as const) {
    if (typeof options[key] !== 'string') {
      throw new FlotillaError('INVALID_ARGUMENT', `"${key}" must be a string`);
    }
  }
  const ca = pem(options.ca, 'CA certificate');
  const cert = pem(options.cert, 'client certificate');
  const key = pem(options.key, 'client key');
  const runtime = new ClientRuntime(trainer, {
    ...(options.privacyBudget ? { privacyBudget: options.privacyBudget } : {}),
    resources: nodeResourceProbe(),
  });
  return runWithReconnect({
    url: options.server,
    clientId: options.id,
    token: options.token,
    runtime,
    connect: nodeWebSocketFactory({
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    }),
    capabilities: { runtime: `node-${process.versions.node}` },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(on.welcome
      ? { onWelcome: (w: { sessionId: string }) => on.welcome!({ sessionId: w.sessionId }) }
      : {}),
    ...(on.task ? { onTask: on.task } : {}),
    ...(on.globalModel ? { onGlobalModel: on.globalModel } : {}),
    ...(on.disconnect
      ? { onDisconnect: (end, retryInMs) => on.disconnect!({ reason: end.reason, retryInMs }) }
      : {}),
  });
}

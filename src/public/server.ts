/**
 * `flotilla/server`: start the coordinator from a program, with the settings of a `flotilla server` config file
 * and, instead of a built-in model, the user's initial parameters or TF.js model factory. It composes what
 * `flotilla server` composes, so a setting means the same here as on the command line.
 *
 * @module flotilla/server
 */
import { serverConfigFromOptions } from '../cli/commands/server.js';
import { FlotillaError, type ParameterSet } from '../core/index.js';
import { attachListeners, checkListeners, type EngineListeners, type RunResult } from '../engine/index.js';
import { initBackend } from '../ml/index.js';
import { issueEnrolmentLink } from '../server/enrolment-link.js';
import { startServer as startCoordinator, type ServerLogEvent } from '../server/index.js';
import { userSharedModel, type ModelFactory } from '../sim/custom-clients.js';
import type { Strategy } from '../strategy/index.js';
import { readServerSettings, type SettingsInput } from './settings.js';

export { createCertificates, type CertsOptions, type CertsResult } from '../server/certs.js';
export type { ServerLogEvent } from '../server/index.js';
export type { ModelFactory, ModelFactoryInput } from '../sim/custom-clients.js';
export type { SettingsInput } from './settings.js';

/**
 * What {@link startServer} starts.
 * @example
 * ```ts
 * const options: StartServerOptions = { settings: 'server.yaml', model: myModelFactory };
 * const server = await startServer(options);
 * ```
 */
export interface StartServerOptions {
  /**
   * The keys of a `flotilla server` config file (every run key of `flotilla simulate` plus host, port, db, tlsDir,
   * insecure, ...), validated like a config file; or the path of a YAML or JSON config file.
   */
  readonly settings?: SettingsInput;
  /**
   * The user's TF.js model factory: a new run starts from its initial weights (its input from `inputSize`, or the
   * dataset's). Its last layer must be a `tf.layers.activation`, as for the clients that train it.
   */
  readonly model?: ModelFactory;
  /** A new run's initial global parameters (the user's own layout): for clients with their own trainers. */
  readonly initialParameters?: ParameterSet;
  /** The user's aggregation rule; overrides `settings.strategy` and its parameters. */
  readonly strategy?: Strategy;
  /** Listeners for the engine's events, by name. */
  readonly on?: EngineListeners;
  /** Receives the server's log events (listening, connected, waiting, finished, ...). */
  readonly log?: (event: ServerLogEvent) => void;
}

/**
 * A running coordinator.
 * @example
 * ```ts
 * const server: FlotillaServer = await startServer({ settings: 'server.yaml' });
 * console.log(server.url, await server.addClient('alice'));
 * const { lastRound } = await server.finished;
 * ```
 */
export interface FlotillaServer {
  /** The clients' endpoint, e.g. `wss://127.0.0.1:8443/ws`. */
  readonly url: string;
  readonly port: number;
  /** Settles when the run ends: its result (history, final parameters), or the error that failed it. */
  readonly finished: Promise<RunResult>;
  /** Registers a client by name in the server's database and returns its bearer token (shown once). */
  addClient(name: string): Promise<string>;
  /**
   * A one-time enrolment link for the participant page, `https://HOST:PORT/join#enrol=CODE` (shown once): registers
   * the client unless it exists; opening the link gives its participant the client's id and a new token.
   * `url`: the server as participants reach it (default: this server's own address); `ttlHours` default 24.
   */
  enrolmentLink(
    name: string,
    options?: { readonly url?: string; readonly ttlHours?: number },
  ): Promise<string>;
  /** Stops after the round in progress is committed, disconnects clients, closes the database. */
  close(): Promise<void>;
}

async function initialParameters(
  options: StartServerOptions,
  dims: { readonly inputShape: readonly number[]; readonly numClasses: number; readonly seed: number },
): Promise<ParameterSet | undefined> {
  if (options.model !== undefined && options.initialParameters !== undefined) {
    throw new FlotillaError('CONFIG_INVALID', 'give "model" or "initialParameters", not both', {
      key: 'initialParameters',
    });
  }
  if (options.initialParameters !== undefined) return options.initialParameters;
  if (options.model === undefined) return undefined;
  await initBackend('cpu');
  // Checked as the clients' trainers will check it, so a model they cannot train is refused before the run starts.
  const model = await userSharedModel(options.model, dims);
  try {
    return model.getParameters();
  } finally {
    model.dispose();
  }
}

/**
 * Starts (or resumes, when its database holds the run) a coordinator: TLS WebSocket endpoint, admin API, durable
 * rounds. Rejects with a {@link FlotillaError} naming the bad setting.
 *
 * @example
 * ```ts
 * import { startServer } from 'flotilla/server';
 *
 * const server = await startServer({
 *   settings: { insecure: true, port: 0, db: ':memory:', inputSize: 4, rounds: 1, minClients: 1 },
 * });
 * const token = await server.addClient('alice');
 * console.log(server.url, token.length > 0);
 * await server.close();
 * ```
 */
export async function startServer(options: StartServerOptions = {}): Promise<FlotillaServer> {
  checkListeners(options.on);
  const config = serverConfigFromOptions(readServerSettings(options.settings));
  const params = await initialParameters(options, config.model);
  const running = await startCoordinator(
    {
      ...config,
      ...(params ? { initialParams: params } : {}),
      ...(options.strategy ? { userStrategy: options.strategy } : {}),
    },
    {
      ...(options.log ? { log: options.log } : {}),
      subscribe: (events) => void attachListeners(events, options.on),
    },
  );
  return {
    url: running.url,
    port: running.port,
    finished: running.finished,
    addClient: async (name) => (await running.storage.addClient(name)).token,
    enrolmentLink: async (name, link = {}) => {
      const ttlHours = link.ttlHours ?? 24;
      // The page is served where the clients' endpoint is: wss://HOST:PORT/ws -> https://HOST:PORT.
      const own = new URL(running.url.replace(/^ws/, 'http')).origin;
      const issued = await issueEnrolmentLink(running.storage, name, {
        url: link.url ?? own,
        ttlMs: Math.round(ttlHours * 3_600_000),
      });
      return issued.link;
    },
    close: () => running.close(),
  };
}

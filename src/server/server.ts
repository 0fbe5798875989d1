/**
 * The coordinator: wires storage, the WebSocket pool, the HTTP front and the round engine (the same RoundEngine the
 * simulator runs; DESIGN principle 2). A run is identified by its id in the database: starting with a database
 * that already holds the run resumes it from its latest checkpoint (the next round, the saved strategy state), so a
 * server killed at any moment continues without losing or repeating a committed round.
 */
import type { AddressInfo } from 'node:net';
import type { ParameterSet } from '../core/index.js';
import {
  RoundEngine,
  type EngineConfig,
  type EngineEmitter,
  type EngineEvents,
  type PrivacyPolicy,
  type RunResult,
} from '../engine/index.js';
import type { ModelName } from '../ml/index.js';
import { createStrategy, type Strategy } from '../strategy/index.js';
import { StorageCommitter, type ClientInfo, type Storage } from '../storage/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { WebSocketClientPool, type PoolEvents, type SessionLimits } from '../transport/websocket/index.js';
import { AdminGuard } from './admin-guard.js';
import { buildApp, type FrontLimits } from './app.js';
import { StorageAuthenticator } from './auth.js';
import type { ConnectionGate } from './gate.js';
import { participantTask } from './participant-page.js';
import { checkPortFree, listenError } from './port-check.js';
import { createMonitoring, type MetricsConfig } from './monitoring.js';
import { loadTls, type TlsFiles } from './tls.js';
import { openRun } from './run-start.js';

export interface ModelSpec {
  readonly name: ModelName;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Seed of the initial weights of a new run. */
  readonly seed: number;
}

export interface ServerConfig {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly dbPath: string;
  /** Undefined serves plain ws:// (only with an explicit --insecure). */
  readonly tls?: TlsFiles;
  /** Stored (as a salted hash) on start when given; the admin API needs it. */
  readonly adminToken?: string;
  readonly runId: string;
  readonly model: ModelSpec;
  /** A new run's initial parameters (a user's own model, library use) instead of the zoo model's; same dims. */
  readonly initialParams?: ParameterSet;
  readonly strategy: string;
  readonly strategyParams?: Record<string, unknown>;
  /** A strategy object of the user's (library use) instead of `strategy` and `strategyParams`. */
  readonly userStrategy?: Strategy;
  readonly engine: EngineConfig;
  /**
   * Differential privacy: the policy the engine consults each round, and its settings as the user gave them (stored
   * with the run, so a resumed run can be checked against them). The server owns the run's ledger: it is committed
   * with each round and restored on resume.
   */
  readonly privacy?: { readonly policy: PrivacyPolicy; readonly settings: Readonly<Record<string, unknown>> };
  /**
   * Every round waits until every registered client is connected and samples among them (a consortium whose members
   * all train each round, as a simulation's clients do). Central DP always does, since its accountant assumes it.
   */
  readonly waitForAllClients?: boolean;
  /** Clients that must be connected before the first round (of this process) starts. */
  readonly minClients: number;
  /** The WebSocket sessions' limits and the HTTP front's (timeouts, the cap on unauthenticated connections). */
  readonly limits?: Partial<SessionLimits & FrontLimits>;
  /** Where the built participant page lives (served at /join); default the package's dist/web/join. */
  readonly participantPageDir?: string;
  /** How often connected clients are checked against the registry for revocation. Default 1000 ms. */
  readonly revocationCheckMs?: number;
  /** Prometheus `GET /metrics`: on this port behind the admin token (default), on a port of its own, or off. */
  readonly metrics?: MetricsConfig | false;
}

/**
 * What a server logs: one JSON-friendly object per event (listening, created or resumed run, clients connected
 * and refused, waiting, retrying, finished).
 * @example
 * ```ts
 * await startServer({ settings: 'server.yaml', log: (event) => console.error(JSON.stringify(event)) });
 * ```
 */
export type ServerLogEvent =
  | { readonly event: 'listening'; readonly url: string; readonly tls: boolean; readonly metrics?: string }
  | { readonly event: 'resumed'; readonly runId: string; readonly fromRound: number }
  | { readonly event: 'created'; readonly runId: string }
  /** Fewer clients connected than the run (before its first round) or a round needs; `round` names the round. */
  | {
      readonly event: 'waiting';
      readonly connected: number;
      readonly needed: number;
      readonly round?: number;
    }
  | {
      readonly event: 'retrying';
      readonly round: number;
      readonly reason: string;
      readonly retryInMs: number;
    }
  | ({ readonly event: 'refused' } & PoolEvents['refused'])
  | ({ readonly event: 'connected' } & PoolEvents['client-connected'])
  | ({ readonly event: 'disconnected' } & PoolEvents['client-disconnected'])
  /** One line per accepted reply: which client trained or evaluated, on how many examples, what it reported. */
  | ({ readonly event: 'client-result' } & EngineEvents['client-result'])
  | {
      readonly event: 'finished';
      readonly status: string;
      readonly lastRound: number;
      readonly error?: string;
      /** Why a run ended early without failing (e.g. its privacy budget is spent). */
      readonly reason?: string;
    };

export interface ServerHooks {
  readonly log?: (event: ServerLogEvent) => void;
  /** Attach progress displays to the engine's events before the run starts. */
  readonly subscribe?: (events: EngineEmitter) => void;
}

export interface RunningServer {
  /** The clients' endpoint, e.g. wss://127.0.0.1:8443/ws. */
  readonly url: string;
  readonly port: number;
  readonly storage: Storage;
  readonly pool: WebSocketClientPool;
  /** The admin API's token checks (its `verifications` counter counts scrypt runs). */
  readonly adminGuard: AdminGuard;
  /** Counts connections that have not authenticated yet. */
  readonly gate: ConnectionGate;
  /** Settles when the run ends: its result, or the error that failed it. */
  readonly finished: Promise<RunResult>;
  /** Stops the run after the round in progress is committed, disconnects clients, closes storage. */
  close(): Promise<void>;
}

/** What the status endpoint says about privacy: the ledger's total so far and the budget. */
export interface PrivacyStatus {
  readonly mechanism: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly budget?: { readonly epsilon: number; readonly delta: number };
}

export async function startServer(config: ServerConfig, hooks: ServerHooks = {}): Promise<RunningServer> {
  const log = hooks.log;
  const tls = config.tls ? loadTls(config.tls) : undefined;
  // The database's server lock first: a second server on it is refused before it reads or writes anything.
  const storage = SqliteStorage.open(config.dbPath, { exclusive: true });
  try {
    await checkPortFree(config.host, config.port);
    if (config.adminToken) await storage.setAdminToken(config.adminToken);
    const start = await openRun(storage, config, log);
    const strategy = config.userStrategy ?? createStrategy(config.strategy, config.strategyParams ?? {});
    const { idleTimeoutMs, maxUnauthenticated, ...sessionLimits } = config.limits ?? {};
    const pool = new WebSocketClientPool({
      authenticator: new StorageAuthenticator(storage, {
        requireCertificate: config.tls?.requireClientCert === true,
      }),
      limits: sessionLimits,
    });
    pool.events.on('refused', (e) => log?.({ event: 'refused', ...e }));
    pool.events.on('client-connected', (e) => log?.({ event: 'connected', ...e }));
    pool.events.on('client-disconnected', (e) => log?.({ event: 'disconnected', ...e }));
    // The registered clients: the population a round samples from under central DP or waitForAllClients
    // (RoundEngineOptions.population), kept current with the registry as clients are added or revoked. The same read
    // drops a connected client that is no longer active (revoked).
    const activeOf = (clients: readonly ClientInfo[]) =>
      clients.filter((c) => c.status === 'active').map((c) => c.name);
    let registered = activeOf(await storage.listClients());
    const syncRegistry = () =>
      void storage.listClients().then(
        (clients) => {
          registered = activeOf(clients);
          const revoked = new Set(clients.filter((c) => c.status !== 'active').map((c) => c.name));
          for (const { clientId } of pool.connected()) {
            if (revoked.has(clientId)) pool.disconnect(clientId, 'AUTH_FAILED', 'the client was revoked');
          }
        },
        () => undefined, // storage closing: the run is over
      );
    pool.events.on('client-connected', syncRegistry);
    const engine = new RoundEngine({
      pool,
      strategy,
      config: config.engine,
      committer: new StorageCommitter(storage, config.runId),
      ...(config.privacy ? { privacy: config.privacy.policy } : {}),
      ...(config.waitForAllClients || config.privacy?.policy.sampling !== undefined
        ? { population: () => registered }
        : {}),
    });
    engine.events.on('round-retried', ({ round, failed, retryInMs }) => {
      void storage.recordEvent(config.runId, { kind: 'attempt-failed', round, data: failed });
      log?.({ event: 'retrying', round, reason: failed.reason, retryInMs });
    });
    engine.events.on('client-result', (e) => log?.({ event: 'client-result', ...e }));
    const monitoring = await createMonitoring({
      config: config.metrics,
      runId: config.runId,
      events: engine.events,
      pool,
      storage,
      mainPort: config.port,
    });
    hooks.subscribe?.(engine.events);

    let lastCommitted = start.startRound - 1;
    let phase: 'waiting' | 'running' | 'completed' | 'failed' | 'aborted' = 'waiting';
    // What the run waits for: clients to start (minClients), or clients a round needs (the engine's wait).
    let waiting: { readonly needed: number; readonly round?: number } | undefined = {
      needed: config.minClients,
    };
    engine.events.on('round-committed', ({ record }) => (lastCommitted = record.round));
    let privacy: PrivacyStatus | undefined = config.privacy && {
      mechanism: config.privacy.policy.mechanism,
      epsilon: start.privacyState?.epsilon ?? 0,
      delta: config.privacy.policy.delta,
      ...(config.privacy.policy.budget ? { budget: config.privacy.policy.budget } : {}),
    };
    engine.events.on('privacy-spent', ({ mechanism, epsilon, delta, budget }) => {
      privacy = { mechanism, epsilon, delta, ...(budget ? { budget } : {}) };
    });
    const adminGuard = new AdminGuard((token) => storage.verifyAdminToken(token));
    engine.events.on('waiting-for-clients', ({ round, needed, connected }) => {
      waiting = { needed, round };
      phase = 'waiting';
      log?.({ event: 'waiting', connected, needed, round });
    });
    engine.events.on('round-started', () => {
      waiting = undefined;
      phase = 'running';
    });
    const { app, gate } = await buildApp({
      pool,
      storage,
      adminGuard,
      ...(tls ? { tls } : {}),
      limits: {
        ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}),
        ...(maxUnauthenticated !== undefined ? { maxUnauthenticated } : {}),
      },
      participantPage: {
        ...(config.participantPageDir ? { dir: config.participantPageDir } : {}),
        task: () => participantTask(config),
      },
      ...(monitoring.onMainPort ? { metrics: monitoring.metrics! } : {}),
      clientResources: () => monitoring.resources.latestByClient(),
      status: () => ({
        runId: config.runId,
        phase,
        lastRound: lastCommitted,
        rounds: engine.config.rounds,
        connected: pool.connected(),
        minClients: config.minClients,
        ...(privacy ? { privacy } : {}),
        ...(phase === 'waiting' && waiting
          ? {
              waiting: {
                ...waiting,
                connected: pool.available().length,
                missing: Math.max(0, waiting.needed - pool.available().length),
              },
            }
          : {}),
      }),
    });
    await app.listen({ host: config.host, port: config.port }).catch(async (error: unknown) => {
      await app.close().catch(() => undefined);
      throw listenError(error, config.host, config.port);
    });
    const port = (app.server.address() as AddressInfo).port;
    const url = `${tls ? 'wss' : 'ws'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/ws`;
    const metricsUrl = await monitoring.listen().catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
    log?.({
      event: 'listening',
      url,
      tls: tls !== undefined,
      ...(metricsUrl ? { metrics: metricsUrl } : {}),
    });

    const revocations = setInterval(syncRegistry, config.revocationCheckMs ?? 1000);
    revocations.unref();

    const abort = new AbortController();
    const finished = (async (): Promise<RunResult> => {
      if (start.startRound > engine.config.rounds) {
        phase = 'completed';
        await pool.close('RUN_FINISHED');
        return { status: 'completed', params: start.params, history: [], lastRound: lastCommitted };
      }
      while (pool.available().length < config.minClients && !abort.signal.aborted) {
        log?.({ event: 'waiting', connected: pool.available().length, needed: config.minClients });
        await pool.waitForClients(pool.available().length + 1, abort.signal);
      }
      phase = 'running';
      waiting = undefined;
      await storage.updateRunStatus(config.runId, 'running');
      try {
        const result = await engine.run({
          initialParams: start.params,
          startRound: start.startRound,
          ...(start.strategyState ? { strategyState: start.strategyState } : {}),
          ...(start.privacyState ? { privacyState: start.privacyState } : {}),
          signal: abort.signal,
        });
        // Any other ending than an abort (e.g. a spent privacy budget) ends the run for good.
        phase = result.status === 'aborted' ? 'aborted' : 'completed';
        await storage.updateRunStatus(config.runId, phase, result.reason);
        log?.({
          event: 'finished',
          status: result.status,
          lastRound: result.lastRound,
          ...(result.reason ? { reason: result.reason } : {}),
        });
        if (phase === 'completed') await pool.close('RUN_FINISHED');
        return result;
      } catch (error) {
        // A round cut short by close() is not a failed run: the next start resumes it.
        phase = abort.signal.aborted ? 'aborted' : 'failed';
        const message = error instanceof Error ? error.message : String(error);
        await storage.updateRunStatus(config.runId, phase, message);
        log?.({ event: 'finished', status: phase, lastRound: lastCommitted, error: message });
        throw error;
      }
    })();
    // The caller decides what a failed run means; the promise must not count as unhandled meanwhile.
    finished.catch(() => undefined);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        abort.abort();
        clearInterval(revocations);
        await pool.close();
        await finished.catch(() => undefined);
        await monitoring.close();
        await app.close();
        await storage.close();
      })());
    return { url, port, storage, pool, adminGuard, gate, finished, close };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

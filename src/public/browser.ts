/**
 * `flotilla/browser`: a federation client inside a web page or a Web Worker. The same ClientRuntime and reconnect
 * loop as a Node client, over the browser's own WebSocket and WebCrypto, with the global model and this client's
 * privacy ledger kept in IndexedDB so a reloaded page rejoins where it was. Browser-safe: no Node API.
 *
 * @module flotilla/browser
 */
import {
  ClientRuntime,
  runWithReconnect,
  type OnlineEvents,
  type WebSocketFactory,
} from '../client/index.js';
import {
  IdbStore,
  IndexedDbModelCache,
  IndexedDbPrivacyLedger,
  browserResourceProbe,
  countingSocketFactory,
  type ByteCounts,
} from '../client/web/index.js';
import {
  FlotillaError,
  isFlotillaError,
  type EvaluateConfig,
  type FitConfig,
  type FitExtras,
  type MetricValues,
  type ParameterSet,
  type Trainer,
} from '../core/index.js';

/**
 * Where a browser client stands, as a participant page shows it: 'connecting' (opening the socket), 'connected'
 * (the server accepted it), 'training' (a task is running), 'waiting' (for the next task), 'offline' (the connection
 * dropped; it retries), 'finished' (the run ended), 'refused' (the server refused it for good, e.g. a wrong token).
 * @example
 * ```ts
 * const show = (state: BrowserClientState) => (document.body.dataset.state = state);
 * ```
 */
export type BrowserClientState =
  'connecting' | 'connected' | 'training' | 'waiting' | 'offline' | 'finished' | 'refused';

/**
 * What a browser client reports as it runs (all optional).
 * @example
 * ```ts
 * const on: BrowserClientListeners = {
 *   state: (s, detail) => console.log(s, detail ?? ''),
 *   bytes: ({ sent, received }) => console.log(`${sent} B up, ${received} B down`),
 * };
 * ```
 */
export interface BrowserClientListeners {
  /** The client's state changed; `detail` says why for 'offline' and 'refused'. */
  readonly state?: (state: BrowserClientState, detail?: string) => void;
  /** A task of `round` arrived with the global model (already saved to IndexedDB). */
  readonly round?: (round: number) => void;
  /** A task was answered: the reply's kind ('fit-result', 'evaluate-result', 'task-failed', ...) and its time. */
  readonly task?: (event: { readonly type: string; readonly round: number; readonly ms: number }) => void;
  /** What the trainer reported for a fit (training loss, accuracy) or an evaluation (on held-out data). */
  readonly metrics?: (event: {
    readonly kind: 'fit' | 'evaluate';
    readonly round: number;
    readonly numExamples: number;
    readonly loss?: number;
    readonly metrics: MetricValues;
  }) => void;
  /** This client's own privacy spending (local DP, DP-SGD) after a release, at `delta`. */
  readonly privacy?: (event: { readonly epsilon: number; readonly delta: number }) => void;
  /** Bytes sent and received so far (all connections of this client). */
  readonly bytes?: (counts: Readonly<ByteCounts>) => void;
}

/**
 * What a {@link BrowserClient} runs.
 * @example
 * ```ts
 * const options: BrowserClientOptions = {
 *   server: 'wss://coordinator.example:8443/ws',
 *   clientId: 'alice',
 *   token,
 *   trainer,
 * };
 * ```
 */
export interface BrowserClientOptions {
  /** The server's client endpoint, e.g. `wss://coordinator.example:8443/ws`. */
  readonly server: string;
  /** This client's registered name. */
  readonly clientId: string;
  /** Its bearer token (kept in memory only: never put it in a URL). */
  readonly token: string;
  /** The training code on this participant's data (e.g. a TfjsTrainer from `flotilla/ml`). */
  readonly trainer: Trainer;
  /** The IndexedDB database holding this client's model cache and ledger. Default `flotilla-<clientId>`. */
  readonly cacheName?: string;
  /** What the client reports as `capabilities.runtime`, e.g. `browser-wasm`. Default `browser`. */
  readonly runtime?: string;
  /** This client's own budget for local DP and DP-SGD: an update that would exceed it is not sent. */
  readonly privacyBudget?: { readonly epsilon: number; readonly delta: number };
  /** The delta at which privacy spending is reported when there is no budget. Default 1e-5. */
  readonly privacyDelta?: number;
  /** Opens sockets; default the browser's `WebSocket`. */
  readonly connect?: WebSocketFactory;
  /** Stops the client: `run` resolves 'stopped'. */
  readonly signal?: AbortSignal;
  readonly on?: BrowserClientListeners;
}

/** Forwards to the user's trainer and keeps what each call reported, for the metrics event. */
class ReportingTrainer implements Trainer {
  readonly features: Trainer['features'];
  last: { kind: 'fit' | 'evaluate'; numExamples: number; loss?: number; metrics: MetricValues } | undefined;

  constructor(private readonly inner: Trainer) {
    this.features = inner.features;
  }

  async fit(params: ParameterSet, config: FitConfig, extras?: FitExtras) {
    const out = await this.inner.fit(params, config, extras);
    this.last = { kind: 'fit', numExamples: out.numExamples, metrics: out.metrics ?? {} };
    return out;
  }

  async evaluate(params: ParameterSet, config: EvaluateConfig) {
    const out = await this.inner.evaluate(params, config);
    this.last = {
      kind: 'evaluate',
      numExamples: out.numExamples,
      loss: out.loss,
      metrics: out.metrics ?? {},
    };
    return out;
  }
}

function browserWebSocket(url: string) {
  if (typeof WebSocket === 'undefined') {
    throw new FlotillaError('INVALID_ARGUMENT', 'this platform has no WebSocket: pass options.connect');
  }
  return new WebSocket(url) as unknown as ReturnType<WebSocketFactory>;
}

/**
 * A federation client for the browser. `run()` connects, answers the server's tasks with the trainer until the run
 * ends, and reconnects with backoff when the network drops (a page that comes back online resumes). Every global
 * model received is saved to IndexedDB first, and the privacy ledger lives there too, so a page reopened mid-run
 * rejoins as a returning client with its spending intact.
 *
 * @example
 * ```ts
 * import { BrowserClient } from 'flotilla/browser';
 *
 * const client = new BrowserClient({
 *   server: 'wss://coordinator.example:8443/ws',
 *   clientId: 'alice',
 *   token: sessionStorage.getItem('token') ?? '',
 *   trainer, // e.g. new TfjsTrainer(SharedModel.create('mlp', dims), data) from flotilla/ml
 *   runtime: 'browser-wasm',
 *   on: { state: (s) => (document.body.dataset.state = s), round: (r) => console.log('round', r) },
 * });
 * console.log(await client.run()); // 'finished'
 * ```
 */
export class BrowserClient {
  /** Bytes sent and received so far. */
  readonly bytes: ByteCounts = { sent: 0, received: 0 };
  private readonly store: IdbStore;
  private readonly cache: IndexedDbModelCache;
  private readonly trainer: ReportingTrainer;
  private readonly runtime: ClientRuntime;

  constructor(private readonly options: BrowserClientOptions) {
    const { trainer } = options;
    if (typeof trainer?.fit !== 'function' || typeof trainer.evaluate !== 'function') {
      throw new FlotillaError('INVALID_ARGUMENT', '"trainer" must have fit and evaluate methods');
    }
    for (const key of ['server', 'clientId', 'token'] as const) {
      if (typeof options[key] !== 'string' || (key !== 'token' && options[key] === '')) {
        throw new FlotillaError('INVALID_ARGUMENT', `"${key}" must be a non-empty string`);
      }
    }
    this.store = new IdbStore(options.cacheName ?? `flotilla-${options.clientId}`);
    this.cache = new IndexedDbModelCache(this.store);
    this.trainer = new ReportingTrainer(trainer);
    const runtime = options.runtime;
    this.runtime = new ClientRuntime(this.trainer, {
      ledger: new IndexedDbPrivacyLedger(this.store),
      // Each result reports its cost and this device (cores, memory, JS heap, backend) for the operator's view.
      resources: browserResourceProbe(() =>
        runtime?.startsWith('browser-') ? runtime.slice('browser-'.length) : undefined,
      ),
      ...(options.privacyBudget ? { privacyBudget: options.privacyBudget } : {}),
    });
  }

  /** The global model cached by this or an earlier page, if any (e.g. to show its round or predict offline). */
  cachedModel(): Promise<{ readonly round: number; readonly params: ParameterSet } | undefined> {
    return this.cache.load();
  }

  /** Deletes this client's IndexedDB database (model cache and ledger): call it when the participant leaves. */
  forget(): Promise<void> {
    return this.store.destroy();
  }

  /**
   * Runs until the server ends the run ('finished') or the signal aborts ('stopped'). Rejects with a FlotillaError
   * when the server refuses the client for good (AUTH_FAILED for a wrong or revoked token, PROTOCOL_VERSION).
   */
  async run(): Promise<'finished' | 'stopped'> {
    const { options, runtime } = this;
    const on = options.on ?? {};
    const delta = options.privacyBudget?.delta ?? options.privacyDelta ?? 1e-5;
    on.state?.('connecting');
    // Reading the ledger now makes an unreadable IndexedDB fail at start rather than at the first release.
    await runtime.restoreLedger();
    try {
      const outcome = await runWithReconnect({
        url: options.server,
        clientId: options.clientId,
        token: options.token,
        runtime,
        connect: countingSocketFactory(options.connect ?? browserWebSocket, this.bytes, () =>
          on.bytes?.(this.bytes),
        ),
        capabilities: { runtime: options.runtime ?? 'browser' },
        ...(options.signal ? { signal: options.signal } : {}),
        onWelcome: () => {
          on.state?.('connected');
          on.state?.('waiting');
        },
        onGlobalModel: async (params, round) => {
          on.state?.('training');
          on.round?.(round);
          await this.cache.save(params, round);
        },
        onTask: ({ type, round, ms }) => {
          on.task?.({ type, round, ms });
          const last = this.trainer.last;
          this.trainer.last = undefined;
          if (last) on.metrics?.({ ...last, round });
          const ledger = runtime.privacy.accountant;
          if (type === 'fit-result' || type === 'stage-result') {
            if (ledger.entries.length > 0) on.privacy?.({ epsilon: ledger.getEpsilon(delta).epsilon, delta });
          }
          on.state?.('waiting');
        },
        onDisconnect: (end) => on.state?.('offline', end.reason),
        // A page (or its worker) whose network is back reconnects at once instead of waiting out its backoff.
        ...(typeof globalThis.addEventListener === 'function' ? { wake: globalThis as OnlineEvents } : {}),
      });
      if (outcome === 'finished') on.state?.('finished');
      return outcome;
    } catch (error) {
      on.state?.('refused', isFlotillaError(error) ? error.message : String(error));
      throw error;
    }
  }
}

export type { ByteCounts } from '../client/web/index.js';

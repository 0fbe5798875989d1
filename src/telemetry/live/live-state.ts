/**
 * The server's live view of its run for the dashboard: subscribes to the engine's events, the pool's connection
 * events and the alert bus (DESIGN principle 5: none of them knows it exists), turns each into a compact live event,
 * applies it to the DashboardState it keeps (for a new subscriber's snapshot) and hands it to its listeners (the
 * event stream). The sources are described structurally: telemetry imports only core.
 */
import type { MetricValues } from '../../core/index.js';
import {
  applyLiveEvent,
  MAX_ALERTS,
  type AlertView,
  type DashboardState,
  type LiveEventName,
  type LiveEvents,
  type PrivacyView,
  type ResourceView,
  type RunView,
  type ServerUsage,
  type Spread,
} from './dashboard-state.js';
import { projectExhaustion, spreadOf, summarizeRound, type RoundRecordLike } from './summary.js';
import type { EventSource } from '../run-events.js';

/** The engine events the live view reads (the engine's emitter satisfies this; tsc checks it in server.ts). */
export interface LiveEngineEvents {
  'waiting-for-clients': { readonly round: number; readonly needed: number; readonly connected: number };
  'round-started': { readonly round: number; readonly attempt: number; readonly selected: readonly string[] };
  'client-result': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly numExamples: number;
    readonly metrics?: MetricValues;
    readonly resources?: ResourceView;
    readonly durationMs: number;
  };
  'client-failed': {
    readonly round: number;
    readonly phase: string;
    readonly failure: { readonly clientId: string; readonly cause: string; readonly message: string };
  };
  'round-committed': { readonly record: RoundRecordLike };
  'privacy-spent': {
    readonly round: number;
    readonly mechanism: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly budget?: { readonly epsilon: number; readonly delta: number };
  };
  'run-finished': { readonly status: string; readonly reason?: string; readonly lastRound: number };
}

/** A server's connection events (the WebSocket pool's). */
export interface LiveConnectionEvents {
  'client-connected': { readonly clientId: string; readonly runtime?: string };
  'client-disconnected': { readonly clientId: string; readonly reason: string };
}

/** An alert bus (telemetry/alerts). */
export interface LiveAlertEvents {
  alert: AlertView;
  resolved: { readonly rule: string; readonly clientId?: string; readonly at: number };
}

export interface LiveStateInit {
  readonly runId: string;
  readonly rounds: number;
  readonly phase: string;
  /** The run's committed rounds so far (a resumed run), ascending. */
  readonly storedRounds: readonly { readonly committedAt: number; readonly record: RoundRecordLike }[];
  /** The client registry. */
  readonly registry: readonly {
    readonly name: string;
    readonly status: 'active' | 'revoked';
    readonly lastSeen?: number;
  }[];
  /** Alerts stored with the run, oldest first. */
  readonly alerts?: readonly AlertView[];
  readonly privacy?: Omit<PrivacyView, 'round' | 'exhaustedAtRound'>;
  /** The server process's own resources, sampled at each commit (a server passes serverResources). */
  readonly serverUsage?: () => ServerUsage;
}

export type LiveListener = <K extends LiveEventName>(name: K, payload: LiveEvents[K]) => void;

/** Client metrics whose per-round spread the charts draw. */
const SPREAD_METRICS = ['loss', 'accuracy', 'aucRoc'];

export class LiveState {
  readonly state: DashboardState;
  private readonly listeners = new Set<LiveListener>();
  /** Client metric values of the round in progress, keyed `phase.metric`. */
  private values = new Map<string, number[]>();
  private readonly epsilons: { round: number; epsilon: number }[] = [];
  private readonly serverUsage: (() => ServerUsage) | undefined;

  constructor(init: LiveStateInit) {
    this.serverUsage = init.serverUsage;
    const lastRound = init.storedRounds.at(-1)?.record.round ?? 0;
    const run: RunView = { runId: init.runId, phase: init.phase, rounds: init.rounds, lastRound };
    this.state = { run, rounds: [], clients: {}, alerts: (init.alerts ?? []).slice(-MAX_ALERTS) };
    for (const c of init.registry) {
      this.state.clients[c.name] = {
        id: c.name,
        status: c.status,
        connected: false,
        rounds: 0,
        failures: {},
        ...(c.lastSeen !== undefined ? { lastSeen: c.lastSeen } : {}),
      };
    }
    for (const { committedAt, record } of init.storedRounds) {
      const summary = summarizeRound(record, { committedAt });
      applyLiveEvent(this.state, 'round-committed', { summary, participants: record.participants ?? [] });
      if (summary.epsilon !== undefined)
        this.epsilons.push({ round: summary.round, epsilon: summary.epsilon });
    }
    if (init.privacy) this.state.privacy = this.privacyView({ ...init.privacy, round: lastRound });
  }

  /** Receives every live event after it is applied to `state`; returns the unsubscribe function. */
  onEvent(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes the run's phase or progress (the server's own phases: waiting for its first clients, completed). */
  setRun(patch: LiveEvents['run']): void {
    this.emit('run', patch);
  }

  /** Subscribes to the run's sources; returns a function that unsubscribes from all of them. */
  attach(
    engine: EventSource<LiveEngineEvents>,
    connections?: EventSource<LiveConnectionEvents>,
    alerts?: EventSource<LiveAlertEvents>,
  ): () => void {
    const off = [
      engine.on('waiting-for-clients', ({ round, needed, connected }) =>
        this.emit('run', { phase: 'waiting', round, waiting: { needed, connected } }),
      ),
      engine.on('round-started', ({ round, attempt, selected }) => {
        this.values = new Map();
        this.emit('run', { phase: 'running', round, attempt, selected: selected.length, results: 0 });
      }),
      engine.on('client-result', (e) => {
        for (const name of SPREAD_METRICS) {
          const value = e.metrics?.[name];
          if (value === undefined) continue;
          const key = `${e.phase}.${name}`;
          const values = this.values.get(key);
          if (values) values.push(value);
          else this.values.set(key, [value]);
        }
        this.emit('client-result', {
          round: e.round,
          phase: e.phase,
          clientId: e.clientId,
          numExamples: e.numExamples,
          ...(e.metrics ? { metrics: e.metrics } : {}),
          ...(e.resources ? { resources: e.resources } : {}),
          durationMs: e.durationMs,
          at: Date.now(),
        });
      }),
      engine.on('client-failed', ({ round, phase, failure }) =>
        this.emit('client-failed', { round, phase, ...failure }),
      ),
      engine.on('round-committed', ({ record }) => {
        const spread: Record<string, Spread> = {};
        for (const [key, values] of this.values) {
          const s = spreadOf(values);
          if (s) spread[key] = s;
        }
        this.values = new Map();
        const summary = summarizeRound(record, { committedAt: Date.now(), spread });
        this.emit('round-committed', { summary, participants: record.participants ?? [] });
        if (this.serverUsage) this.emit('run', { server: this.serverUsage() });
      }),
      engine.on('privacy-spent', ({ round, mechanism, epsilon, delta, budget }) => {
        this.epsilons.push({ round, epsilon });
        this.emit(
          'privacy-spent',
          this.privacyView({ mechanism, epsilon, delta, round, ...(budget ? { budget } : {}) }),
        );
      }),
      engine.on('run-finished', ({ status, reason, lastRound }) =>
        this.emit('run', { phase: status, lastRound, ...(reason ? { reason } : {}) }),
      ),
      ...(connections
        ? [
            connections.on('client-connected', ({ clientId, runtime }) =>
              this.emit('client-connected', { clientId, ...(runtime ? { runtime } : {}), at: Date.now() }),
            ),
            connections.on('client-disconnected', ({ clientId, reason }) =>
              this.emit('client-disconnected', { clientId, reason, at: Date.now() }),
            ),
          ]
        : []),
      ...(alerts
        ? [
            alerts.on('alert', (alert) => this.emit('alert', alert)),
            alerts.on('resolved', ({ rule, clientId, at }) =>
              this.emit('alert-resolved', { rule, ...(clientId !== undefined ? { clientId } : {}), at }),
            ),
          ]
        : []),
    ];
    return () => off.forEach((remove) => remove());
  }

  private privacyView(p: Omit<PrivacyView, 'exhaustedAtRound'>): PrivacyView {
    const exhaustedAtRound = p.budget ? projectExhaustion(this.epsilons, p.budget.epsilon) : undefined;
    return { ...p, ...(exhaustedAtRound !== undefined ? { exhaustedAtRound } : {}) };
  }

  private emit<K extends LiveEventName>(name: K, payload: LiveEvents[K]): void {
    applyLiveEvent(this.state, name, payload);
    for (const listener of this.listeners) listener(name, payload);
  }
}

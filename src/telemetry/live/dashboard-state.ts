/**
 * What the operator's dashboard knows about a run, and the live events that change it. Plain JSON data and one
 * reducer (`applyLiveEvent`) shared by the server, which keeps the state to replay it to a new subscriber, and the
 * page, which applies the same events to the snapshot it got: both sides cannot drift apart. Imports only core
 * types, so the dashboard's bundle can use it.
 */
import type { MetricValues } from '../../core/index.js';

/** min / median / max of one metric over the clients that reported it in a round. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly count: number;
}

/** One committed round, reduced to what the charts draw. */
export interface RoundSummary {
  readonly round: number;
  readonly committedAt?: number;
  readonly attempts: number;
  readonly selected: number;
  readonly participants: number;
  readonly failures: number;
  /** Where the headline loss/accuracy/AUC come from: the server's evaluation, the federated one, or training. */
  readonly source: 'server' | 'federated' | 'train';
  readonly loss?: number;
  readonly accuracy?: number;
  readonly aucRoc?: number;
  /** Example-weighted training loss the clients reported. */
  readonly trainLoss?: number;
  /** Per-client spread, keyed `fit.loss`, `fit.accuracy`, `evaluate.loss`, ... (live rounds only). */
  readonly spread?: Readonly<Record<string, Spread>>;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly totalMs: number;
  /** Epsilon spent after this round (runs with differential privacy). */
  readonly epsilon?: number;
}

/** What a client last reported about a task's cost and its device (the protocol's ResourceReport, as read here). */
export interface ResourceView {
  readonly fitMs: number;
  readonly cpuMs?: number;
  readonly peakMemoryBytes?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly device?: {
    readonly platform: string;
    readonly cores?: number;
    readonly memoryBytes?: number;
    readonly backend?: string;
  };
}

export interface ClientRow {
  readonly id: string;
  /** From the registry; absent for a client the registry did not list when the server started. */
  status?: 'active' | 'revoked';
  connected: boolean;
  /** The platform and backend the client declared in its hello, e.g. node-20.20.2-wasm. */
  runtime?: string;
  /** Epoch ms of its last connection or result. */
  lastSeen?: number;
  /** Rounds whose fit results it delivered. */
  rounds: number;
  /** Failures by cause ('deadline', 'disconnected', ...). */
  failures: Record<string, number>;
  lastFailure?: string;
  /** The last round it delivered a result for. */
  lastRound?: number;
  resources?: ResourceView;
}

export interface PrivacyView {
  readonly mechanism: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly budget?: { readonly epsilon: number; readonly delta: number };
  /** The round of the latest spending. */
  readonly round: number;
  /** Projected round at which the budget runs out (see projectExhaustion); absent without a budget or a trend. */
  readonly exhaustedAtRound?: number;
}

export interface AlertView {
  readonly rule: string;
  readonly severity: 'warning' | 'critical';
  readonly round?: number;
  readonly clientId?: string;
  readonly message: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly at: number;
  /** The rule saw the condition clear again. */
  resolved?: boolean;
}

export interface RunView {
  readonly runId: string;
  /** waiting | running | completed | aborted | failed | budget-exhausted */
  phase: string;
  /** Rounds the run is configured for. */
  rounds: number;
  lastRound: number;
  /** The round in progress and its attempt. */
  round?: number;
  attempt?: number;
  /** Clients selected for the round in progress, and how many of their fit results arrived. */
  selected?: number;
  results?: number;
  waiting?: { readonly needed: number; readonly connected: number };
  /** Why the run ended early or failed. */
  reason?: string;
  /** The server process's own resources at the last commit. */
  server?: ServerUsage;
}

/** The server process's CPU time since it started and its memory (telemetry's ServerResources). */
export interface ServerUsage {
  readonly cpuMs: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
}

export interface DashboardState {
  run: RunView;
  rounds: RoundSummary[];
  clients: Record<string, ClientRow>;
  privacy?: PrivacyView;
  /** The latest alerts, oldest first (at most MAX_ALERTS). */
  alerts: AlertView[];
}

/** Alerts a state keeps (the run's store keeps them all). */
export const MAX_ALERTS = 200;

/** The events of the live stream (`GET /api/events`) by name, with their payloads. */
export interface LiveEvents {
  /** Changes of the run's phase and round progress. */
  run: Partial<Omit<RunView, 'runId'>>;
  'client-result': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly numExamples: number;
    readonly metrics?: MetricValues;
    readonly resources?: ResourceView;
    readonly durationMs: number;
    readonly at: number;
  };
  'client-failed': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly cause: string;
    readonly message: string;
  };
  /** The round's summary and who took part (the clients' "rounds" column counts them). */
  'round-committed': { readonly summary: RoundSummary; readonly participants: readonly string[] };
  'privacy-spent': PrivacyView;
  'client-connected': { readonly clientId: string; readonly runtime?: string; readonly at: number };
  'client-disconnected': { readonly clientId: string; readonly reason: string; readonly at: number };
  alert: AlertView;
  'alert-resolved': { readonly rule: string; readonly clientId?: string; readonly at: number };
}

export type LiveEventName = keyof LiveEvents;

export const LIVE_EVENT_NAMES: readonly LiveEventName[] = Object.keys({
  run: true,
  'client-result': true,
  'client-failed': true,
  'round-committed': true,
  'privacy-spent': true,
  'client-connected': true,
  'client-disconnected': true,
  alert: true,
  'alert-resolved': true,
} satisfies Record<LiveEventName, true>) as LiveEventName[];

function clientRow(state: DashboardState, id: string): ClientRow {
  return (state.clients[id] ??= { id, connected: false, rounds: 0, failures: {} });
}

/** Applies one live event to a state (in place). */
export function applyLiveEvent<K extends LiveEventName>(
  state: DashboardState,
  name: K,
  payload: LiveEvents[K],
): void {
  switch (name) {
    case 'run':
      Object.assign(state.run, payload);
      return;
    case 'client-result': {
      const e = payload as LiveEvents['client-result'];
      const row = clientRow(state, e.clientId);
      row.lastSeen = e.at;
      row.lastRound = e.round;
      if (e.resources) row.resources = e.resources;
      if (e.phase === 'fit' && e.round === state.run.round) state.run.results = (state.run.results ?? 0) + 1;
      return;
    }
    case 'client-failed': {
      const e = payload as LiveEvents['client-failed'];
      const row = clientRow(state, e.clientId);
      row.failures[e.cause] = (row.failures[e.cause] ?? 0) + 1;
      row.lastFailure = `${e.cause}: ${e.message}`;
      return;
    }
    case 'round-committed': {
      const { summary, participants } = payload as LiveEvents['round-committed'];
      state.rounds.push(summary);
      state.run.lastRound = Math.max(state.run.lastRound, summary.round);
      for (const id of participants) clientRow(state, id).rounds++;
      return;
    }
    case 'privacy-spent':
      state.privacy = payload as PrivacyView;
      return;
    case 'client-connected': {
      const e = payload as LiveEvents['client-connected'];
      const row = clientRow(state, e.clientId);
      row.connected = true;
      row.lastSeen = e.at;
      if (e.runtime) row.runtime = e.runtime;
      return;
    }
    case 'client-disconnected': {
      const e = payload as LiveEvents['client-disconnected'];
      clientRow(state, e.clientId).connected = false;
      return;
    }
    case 'alert':
      state.alerts.push({ ...(payload as AlertView) });
      if (state.alerts.length > MAX_ALERTS) state.alerts.splice(0, state.alerts.length - MAX_ALERTS);
      return;
    case 'alert-resolved': {
      const e = payload as LiveEvents['alert-resolved'];
      for (const alert of state.alerts) {
        if (alert.rule === e.rule && alert.clientId === e.clientId) alert.resolved = true;
      }
      return;
    }
  }
}

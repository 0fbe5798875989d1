/**
 * Alerts (DESIGN principle 5): anomaly rules subscribe to the engine's events (and a server's connection events) and
 * publish typed alerts on an AlertBus; recorders, the status API, webhooks, metrics and the dashboard subscribe to
 * the bus. Nothing in the engine knows alerts exist.
 */
import { TypedEmitter, type MetricValues } from '../../core/index.js';
import type { EventSource } from '../run-events.js';

export const ALERT_RULES = [
  'update-norm-outlier',
  'loss-non-finite',
  'loss-divergence',
  'accuracy-drop',
  'client-flapping',
  'straggler',
  'dropout',
  'privacy-budget-warning',
  'privacy-budget-exhausted',
  'waiting-for-clients',
] as const;

export type AlertRuleName = (typeof ALERT_RULES)[number];
export type AlertSeverity = 'warning' | 'critical';

/**
 * One alert: a rule's condition became true (for a client, or for the run). It stays firing until the rule sees
 * the condition false again (a 'resolved' on the bus); it is not raised again meanwhile.
 * @example
 * ```ts
 * const report = await simulate({ settings: { rounds: 3, attack: 'scale', attackers: 0.2 } });
 * for (const alert of report.alerts) console.log(alert.severity, alert.rule, alert.clientId, alert.message);
 * ```
 */
export interface AlertEvent {
  /** The rule that fired, e.g. 'update-norm-outlier' (README: Alerts). */
  readonly rule: AlertRuleName;
  readonly severity: AlertSeverity;
  /** The round it concerns, when it concerns one. */
  readonly round?: number;
  /** The client it concerns, when it concerns one. */
  readonly clientId?: string;
  /** One line for people: what was seen and against which threshold. */
  readonly message: string;
  /** The observed value (a robust z-score, a loss, a fraction...) and the threshold it crossed. */
  readonly value?: number;
  readonly threshold?: number;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** A firing alert's condition no longer holds. */
export interface AlertResolved {
  readonly rule: AlertRuleName;
  readonly clientId?: string;
  readonly round?: number;
  readonly at: number;
}

/** A rule that cannot judge this run, said once instead of staying silently quiet (e.g. norms under SecAgg+). */
export interface AlertNotice {
  readonly rule: AlertRuleName;
  readonly message: string;
}

export interface AlertBusEvents {
  alert: AlertEvent;
  resolved: AlertResolved;
  notice: AlertNotice;
}

/** Where alerts are published; storage, logs, webhooks, metrics and the dashboard subscribe. */
export class AlertBus extends TypedEmitter<AlertBusEvents> {}

/** Every rule's thresholds, in the units the rules use (milliseconds for times). */
export interface AlertRules {
  /** Rules that never fire. */
  readonly disabled: readonly AlertRuleName[];
  /** update-norm-outlier: |norm - median| / (1.4826 MAD) above this (a robust z-score). */
  readonly updateNormMads: number;
  /** loss-divergence: the run's loss above this factor times the lowest loss it reached. */
  readonly lossDivergence: number;
  /** accuracy-drop: accuracy this much (absolute) below the best the run reached. */
  readonly accuracyDrop: number;
  /** client-flapping: this many disconnects of one client within flappingWindowMs. */
  readonly flappingDisconnects: number;
  readonly flappingWindowMs: number;
  /** straggler: a fit slower than stragglerFactor x the round's stragglerPercentile-th percentile fit time. */
  readonly stragglerPercentile: number;
  readonly stragglerFactor: number;
  /** dropout: failed / selected clients of an attempt above this fraction. */
  readonly dropoutFraction: number;
  /** privacy-budget-warning: epsilon spent at or above this fraction of the budget. */
  readonly privacyWarning: number;
  /** waiting-for-clients: a wait for clients longer than this. */
  readonly waitingMs: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = {
  disabled: [],
  updateNormMads: 5,
  lossDivergence: 2,
  accuracyDrop: 0.1,
  flappingDisconnects: 3,
  flappingWindowMs: 300_000,
  stragglerPercentile: 50,
  stragglerFactor: 3,
  dropoutFraction: 0.5,
  privacyWarning: 0.8,
  waitingMs: 300_000,
};

/**
 * The events the rules read, described structurally (telemetry imports only core): the engine's emitter satisfies
 * this, which tsc checks where the two are wired.
 */
export interface AlertSourceEvents {
  'run-started': { readonly startRound: number };
  'waiting-for-clients': { readonly round: number; readonly needed: number; readonly connected: number };
  'round-started': { readonly round: number; readonly attempt: number; readonly selected: readonly string[] };
  'client-result': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly durationMs: number;
    readonly metrics?: MetricValues;
    readonly updateNorm?: number;
  };
  'client-failed': {
    readonly round: number;
    readonly phase: string;
    readonly failure: { readonly clientId: string; readonly cause: string; readonly message: string };
  };
  'round-retried': {
    readonly round: number;
    readonly failed: {
      readonly selected: readonly string[];
      readonly failures: readonly { readonly clientId: string }[];
    };
  };
  'round-committed': {
    readonly record: {
      readonly round: number;
      readonly selected: readonly string[];
      readonly failures: readonly { readonly clientId: string }[];
      readonly train: { readonly metrics: MetricValues };
      readonly serverEvaluation?: { readonly loss: number; readonly metrics: MetricValues };
      readonly federatedEvaluation?: {
        readonly participants: number;
        readonly loss: number;
        readonly metrics: MetricValues;
      };
    };
  };
  'privacy-spent': {
    readonly round: number;
    readonly epsilon: number;
    readonly budget?: { readonly epsilon: number };
  };
  'run-finished': { readonly status: string; readonly reason?: string; readonly lastRound: number };
}

export type AlertEventSource = EventSource<AlertSourceEvents>;

/** A server's connection events (the WebSocket pool's): client-flapping reads connects and disconnects. */
export type { ConnectionEventSource, ConnectionEvents } from '../metrics-events.js';

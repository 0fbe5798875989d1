/**
 * The engine and pool events the Prometheus exporter and the resource recorder read, described structurally (as
 * run-events.ts does for the displays): telemetry imports only core, and tsc checks that the engine's emitter and
 * the WebSocket pool's satisfy these where server.ts wires them.
 */
import type { MetricValues, ResourceReport } from '../core/index.js';
import type { EventSource, PrivacySpentView } from './run-events.js';

export interface MetricsEvents {
  'run-started': { readonly startRound: number; readonly rounds: number };
  'waiting-for-clients': { readonly round: number; readonly needed: number; readonly connected: number };
  'round-started': { readonly round: number; readonly attempt: number; readonly selected: readonly string[] };
  'client-result': {
    readonly round: number;
    readonly phase: string;
    readonly clientId: string;
    readonly durationMs: number;
    readonly resources?: ResourceReport;
  };
  'client-failed': {
    readonly round: number;
    readonly phase: string;
    readonly failure: { readonly clientId: string; readonly cause: string };
  };
  'round-retried': {
    readonly round: number;
    readonly failed: { readonly reason: string; readonly failures: readonly { readonly cause: string }[] };
  };
  evaluation: {
    readonly round: number;
    readonly kind: 'server' | 'federated';
    readonly result: { readonly loss: number; readonly metrics: MetricValues };
  };
  'round-committed': {
    readonly record: {
      readonly round: number;
      readonly selected: readonly string[];
      readonly participants: readonly string[];
      readonly durations: {
        readonly fitMs: number;
        readonly aggregationMs: number;
        readonly evaluationMs: number;
        readonly totalMs: number;
      };
      readonly bytesSent: number;
      readonly bytesReceived: number;
    };
  };
  'privacy-spent': PrivacySpentView & { readonly round: number };
  'run-finished': { readonly status: string; readonly lastRound: number };
}

/** Anything that emits these events, e.g. `RoundEngine.events`. */
export type MetricsEventSource = EventSource<MetricsEvents>;

/** The connection events of a client pool (the WebSocket pool's `events`). */
export interface ConnectionEvents {
  'client-connected': { readonly clientId: string };
  'client-disconnected': { readonly clientId: string; readonly reason: string };
  refused: { readonly code: string };
}

export type ConnectionEventSource = EventSource<ConnectionEvents>;

/**
 * An alert as the alert rules raise it (h/alerts' AlertEvent); the exporter reads these fields only.
 * @example
 * ```ts
 * const alert: AlertView = { rule: 'loss-divergence', severity: 'critical', round: 4 };
 * ```
 */
export interface AlertView {
  readonly rule: string;
  readonly severity: 'warning' | 'critical';
  readonly round?: number;
}

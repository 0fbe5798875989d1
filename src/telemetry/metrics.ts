/**
 * Prometheus metrics of a run (issue 13), in the text format `GET /metrics` serves. A `RunMetrics` owns its own
 * prom-client Registry (never the global one, so two servers in one process, or a test, never share series) and is
 * fed only by subscribing to the engine's and the pool's events (DESIGN principle 5), plus `recordAlert` for the
 * alert rules. Every label whose values come from outside the server's code is capped (label-cap.ts).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResourceReport } from '../core/index.js';
import { LabelCap, OTHER } from './label-cap.js';
import type {
  AlertView,
  ConnectionEventSource,
  MetricsEventSource,
  MetricsEvents,
} from './metrics-events.js';

export interface RunMetricsOptions {
  /** Added as the `run` label of every series, so one Prometheus can scrape several servers. */
  readonly runId?: string;
  /** Clients with series of their own (peak memory, device); the rest share client="other". Default 100. */
  readonly maxClientLabels?: number;
  /** prom-client's process and Node.js metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

/** Seconds, from a 10 ms round on loopback to a 10-minute round of slow devices. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Distinct values of a label fed by names from outside the server (causes, metric names, alert rules). */
const MAX_NAME_LABELS = 64;

/** Why a failed attempt failed, as a small set of values: the strategy, or the clients' most common cause. */
export function attemptCause(failed: MetricsEvents['round-retried']['failed']): string {
  if (failed.reason.startsWith('aggregation failed')) return 'aggregation';
  const counts = new Map<string, number>();
  for (const f of failed.failures) counts.set(f.cause, (counts.get(f.cause) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
  return top ? top[0] : 'too-few-clients';
}

export class RunMetrics {
  readonly registry = new Registry();
  private readonly clients: LabelCap;
  private readonly causes = new LabelCap(MAX_NAME_LABELS);
  private readonly metricNames = new LabelCap(MAX_NAME_LABELS);
  private readonly rules = new LabelCap(MAX_NAME_LABELS);
  private readonly platforms = new LabelCap(MAX_NAME_LABELS);
  /** The device series each client has, so a changed profile replaces its old series. */
  private readonly deviceLabels = new Map<string, { platform: string; backend: string }>();
  private otherPeak = 0;
  /** Read at each scrape once a pool is attached. */
  private connectedNow: (() => number) | undefined;

  private readonly m;

  constructor(options: RunMetricsOptions = {}) {
    if (options.runId !== undefined) this.registry.setDefaultLabels({ run: options.runId });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.clients = new LabelCap(options.maxClientLabels ?? 100);
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Gauge<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Histogram<L>({ name, help, labelNames, buckets: DURATION_BUCKETS, registers });
    this.m = {
      roundsPlanned: gauge('flotilla_rounds_planned', 'Last round of the run as configured'),
      roundCurrent: gauge('flotilla_round_current', 'Round in progress (or last started)'),
      roundsCommitted: counter('flotilla_rounds_committed_total', 'Rounds committed by this server process'),
      lastCommitted: gauge('flotilla_round_last_committed', 'Number of the last committed round'),
      waiting: gauge('flotilla_run_waiting_for_clients', '1 while the run waits for clients, else 0'),
      finished: gauge('flotilla_run_finished', '1 once the run has ended, by status', ['status']),
      roundSeconds: histogram('flotilla_round_duration_seconds', 'Committed rounds, start to commit'),
      stageSeconds: histogram('flotilla_round_stage_duration_seconds', 'Committed rounds by stage', [
        'stage',
      ]),
      attemptsFailed: counter('flotilla_round_attempts_failed_total', 'Failed round attempts by cause', [
        'cause',
      ]),
      connected: new Gauge({
        name: 'flotilla_clients_connected',
        help: 'Clients connected now',
        registers,
        collect: () => {
          if (this.connectedNow) this.m.connected.set(this.connectedNow());
        },
      }),
      connections: counter('flotilla_client_connections_total', 'Client sessions opened'),
      disconnections: counter('flotilla_client_disconnections_total', 'Client sessions closed'),
      refused: counter('flotilla_client_refusals_total', 'Connections refused, by code', ['code']),
      selected: counter('flotilla_clients_selected_total', 'Clients sent a fit task (attempts included)'),
      roundSelected: gauge('flotilla_round_clients_selected', 'Clients selected in the latest attempt'),
      roundParticipants: gauge(
        'flotilla_round_clients_participated',
        'Clients aggregated in the last commit',
      ),
      succeeded: counter('flotilla_client_results_total', 'Valid client results, by phase', ['phase']),
      failed: counter('flotilla_client_failures_total', 'Client failures, by phase and cause', [
        'phase',
        'cause',
      ]),
      replySeconds: histogram('flotilla_client_reply_seconds', 'Task dispatch to valid reply, server clock', [
        'phase',
      ]),
      bytesSent: counter('flotilla_bytes_sent_total', 'Task frame bytes sent to clients in committed rounds'),
      bytesReceived: counter('flotilla_bytes_received_total', 'Reply bytes received in committed rounds'),
      evaluation: gauge('flotilla_evaluation', 'Latest evaluation of the global model, by kind and metric', [
        'kind',
        'metric',
      ]),
      epsilonSpent: gauge('flotilla_privacy_epsilon_spent', 'Differential privacy: epsilon spent so far'),
      epsilonBudget: gauge('flotilla_privacy_epsilon_budget', 'Differential privacy: the epsilon budget'),
      epsilonRemaining: gauge('flotilla_privacy_epsilon_remaining', 'Epsilon budget minus epsilon spent'),
      delta: gauge('flotilla_privacy_delta', 'Differential privacy: the delta epsilon is reported at'),
      alerts: counter('flotilla_alerts_total', 'Alerts raised, by rule and severity', ['rule', 'severity']),
      alertsFiring: gauge('flotilla_alerts_firing', 'Alerts raised since the latest round started', [
        'rule',
        'severity',
      ]),
      clientFitSeconds: histogram('flotilla_client_task_seconds', 'Client-reported task time, by phase', [
        'phase',
      ]),
      clientCpu: counter('flotilla_client_cpu_seconds_total', 'Client-reported CPU time, all clients', [
        'phase',
      ]),
      clientPeak: gauge('flotilla_client_peak_memory_bytes', 'Client-reported peak memory', ['client']),
      clientDevice: gauge('flotilla_client_device_cores', 'Client-reported cores, by device', [
        'client',
        'platform',
        'backend',
      ]),
    };
  }

  /** The scrape body, in the Prometheus text format. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** An alert from the alert rules (h/alerts wires its bus here). */
  recordAlert(alert: AlertView): void {
    const labels = { rule: this.rules.label(alert.rule), severity: alert.severity };
    this.m.alerts.inc(labels);
    this.m.alertsFiring.inc(labels);
  }

  /** Subscribes to a run's events; returns a function that unsubscribes. */
  attach(events: MetricsEventSource): () => void {
    const m = this.m;
    const offs = [
      events.on('run-started', ({ startRound, rounds }) => {
        m.roundsPlanned.set(rounds);
        m.lastCommitted.set(startRound - 1);
      }),
      events.on('waiting-for-clients', () => m.waiting.set(1)),
      events.on('round-started', ({ round, selected }) => {
        m.waiting.set(0);
        m.roundCurrent.set(round);
        m.selected.inc(selected.length);
        m.roundSelected.set(selected.length);
        m.alertsFiring.reset();
      }),
      events.on('client-result', (e) => {
        m.succeeded.inc({ phase: e.phase });
        m.replySeconds.observe({ phase: e.phase }, e.durationMs / 1000);
        if (e.resources) this.onResources(e.clientId, e.phase, e.resources);
      }),
      events.on('client-failed', ({ phase, failure }) =>
        m.failed.inc({ phase, cause: this.causes.label(failure.cause) }),
      ),
      events.on('round-retried', ({ failed }) => m.attemptsFailed.inc({ cause: attemptCause(failed) })),
      events.on('evaluation', ({ kind, result }) => {
        if (Number.isFinite(result.loss)) m.evaluation.set({ kind, metric: 'loss' }, result.loss);
        for (const [name, value] of Object.entries(result.metrics)) {
          if (Number.isFinite(value)) m.evaluation.set({ kind, metric: this.metricNames.label(name) }, value);
        }
      }),
      events.on('round-committed', ({ record }) => {
        m.roundsCommitted.inc();
        m.lastCommitted.set(record.round);
        m.roundParticipants.set(record.participants.length);
        const { fitMs, aggregationMs, evaluationMs, totalMs } = record.durations;
        m.roundSeconds.observe(totalMs / 1000);
        m.stageSeconds.observe({ stage: 'fit' }, fitMs / 1000);
        m.stageSeconds.observe({ stage: 'aggregation' }, aggregationMs / 1000);
        m.stageSeconds.observe({ stage: 'evaluation' }, evaluationMs / 1000);
        m.bytesSent.inc(record.bytesSent);
        m.bytesReceived.inc(record.bytesReceived);
      }),
      events.on('privacy-spent', ({ epsilon, delta, budget }) => {
        m.epsilonSpent.set(epsilon);
        m.delta.set(delta);
        if (budget) {
          m.epsilonBudget.set(budget.epsilon);
          m.epsilonRemaining.set(Math.max(0, budget.epsilon - epsilon));
        }
      }),
      events.on('run-finished', ({ status }) => {
        m.waiting.set(0);
        m.finished.set({ status }, 1);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Subscribes to a client pool's connections; `connected` is read at each scrape. */
  attachConnections(events: ConnectionEventSource, connected: () => number): () => void {
    const m = this.m;
    this.connectedNow = connected;
    const offs = [
      events.on('client-connected', () => m.connections.inc()),
      events.on('client-disconnected', () => m.disconnections.inc()),
      events.on('refused', ({ code }) => m.refused.inc({ code: this.causes.label(code) })),
    ];
    return () => offs.forEach((off) => off());
  }

  private onResources(clientId: string, phase: string, r: ResourceReport): void {
    const m = this.m;
    m.clientFitSeconds.observe({ phase }, r.fitMs / 1000);
    if (r.cpuMs !== undefined) m.clientCpu.inc({ phase }, r.cpuMs / 1000);
    const client = this.clients.label(clientId);
    if (r.peakMemoryBytes !== undefined) {
      // Past the cap, client="other" shows the largest peak among the clients without series of their own.
      const value =
        client === OTHER ? (this.otherPeak = Math.max(this.otherPeak, r.peakMemoryBytes)) : r.peakMemoryBytes;
      m.clientPeak.set({ client }, value);
    }
    if (r.device?.cores !== undefined && client !== OTHER) {
      const labels = {
        platform: this.platforms.label(r.device.platform),
        backend: this.platforms.label(r.device.backend ?? 'unknown'),
      };
      const before = this.deviceLabels.get(client);
      if (before && (before.platform !== labels.platform || before.backend !== labels.backend)) {
        m.clientDevice.remove({ client, ...before });
      }
      this.deviceLabels.set(client, labels);
      m.clientDevice.set({ client, ...labels }, r.device.cores);
    }
  }
}

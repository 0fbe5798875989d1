import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParameterSet, TypedEmitter, type ResourceReport } from '../core/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import type { MetricsEvents } from './metrics-events.js';
import { RunMetrics, attemptCause } from './metrics.js';
import { ResourceRecorder, type RoundResources } from './resource-recorder.js';

/** `name{b="2",a="1"}` as `name{a="1",b="2"}`: prom-client orders labels differently for histograms. */
function canonical(series: string): string {
  const open = series.indexOf('{');
  if (open < 0) return series;
  const labels = series.slice(open + 1, -1).match(/[a-z_]+="[^"]*"/g) ?? [];
  return `${series.slice(0, open)}{${labels.sort().join(',')}}`;
}

/** The value of one series in a scrape body, whatever the order of its labels; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const wanted = canonical(series);
  for (const line of text.split('\n')) {
    const space = line.lastIndexOf(' ');
    if (!line.startsWith('#') && space > 0 && canonical(line.slice(0, space)) === wanted) {
      return Number(line.slice(space + 1));
    }
  }
  return undefined;
}

function committed(round: number, bytes = 1000): MetricsEvents['round-committed'] {
  return {
    record: {
      round,
      selected: ['a', 'b', 'c'],
      participants: ['a', 'b'],
      durations: { fitMs: 300, aggregationMs: 20, evaluationMs: 80, totalMs: 420 },
      bytesSent: bytes,
      bytesReceived: 2 * bytes,
    },
  };
}

const REPORT: ResourceReport = {
  fitMs: 250,
  cpuMs: 200,
  peakMemoryBytes: 5e8,
  bytesIn: 31_000,
  bytesOut: 31_000,
  device: { platform: 'node-20-linux-x64', cores: 8, memoryBytes: 16e9, backend: 'wasm' },
};

/** Plays a 2-round run with a retry, failures, evaluations, privacy spending and an alert. */
function play(events: TypedEmitter<MetricsEvents>, metrics: RunMetrics): void {
  events.emit('run-started', { startRound: 1, rounds: 5 });
  events.emit('waiting-for-clients', { round: 1, needed: 3, connected: 1 });
  events.emit('round-started', { round: 1, attempt: 1, selected: ['a', 'b', 'c'] });
  events.emit('client-result', { round: 1, phase: 'fit', clientId: 'a', durationMs: 500, resources: REPORT });
  events.emit('client-result', { round: 1, phase: 'fit', clientId: 'b', durationMs: 700 });
  events.emit('client-failed', { round: 1, phase: 'fit', failure: { clientId: 'c', cause: 'deadline' } });
  events.emit('evaluation', { round: 1, kind: 'server', result: { loss: 0.5, metrics: { accuracy: 0.8 } } });
  events.emit('round-committed', committed(1));
  events.emit('privacy-spent', { round: 1, epsilon: 0.75, delta: 1e-5, budget: { epsilon: 2, delta: 1e-5 } });
  metrics.recordAlert({ rule: 'loss-divergence', severity: 'critical', round: 1 });
  events.emit('round-started', { round: 2, attempt: 1, selected: ['a', 'b', 'c'] });
  events.emit('round-retried', {
    round: 2,
    failed: { reason: '0 of 3 client(s) returned a valid result', failures: [{ cause: 'disconnected' }] },
  });
  events.emit('round-started', { round: 2, attempt: 2, selected: ['a', 'b'] });
  events.emit('client-result', { round: 2, phase: 'fit', clientId: 'a', durationMs: 400, resources: REPORT });
  events.emit('round-committed', committed(2));
  events.emit('run-finished', { status: 'completed', lastRound: 2 });
}

describe('RunMetrics', () => {
  it('turns a run’s events into the series an operator scrapes', async () => {
    const events = new TypedEmitter<MetricsEvents>();
    const metrics = new RunMetrics({ runId: 'r1', processMetrics: false });
    metrics.attach(events);
    const pool = new TypedEmitter<{
      'client-connected': { clientId: string };
      'client-disconnected': { clientId: string; reason: string };
      refused: { code: string };
    }>();
    metrics.attachConnections(pool, () => 2);
    pool.emit('client-connected', { clientId: 'a' });
    pool.emit('refused', { code: 'AUTH_FAILED' });
    play(events, metrics);
    const text = await metrics.text();
    const s = (series: string) => sample(text, series);
    expect(s('flotilla_rounds_committed_total{run="r1"}')).toBe(2);
    expect(s('flotilla_round_last_committed{run="r1"}')).toBe(2);
    expect(s('flotilla_rounds_planned{run="r1"}')).toBe(5);
    expect(s('flotilla_round_current{run="r1"}')).toBe(2);
    expect(s('flotilla_run_waiting_for_clients{run="r1"}')).toBe(0);
    expect(s('flotilla_run_finished{status="completed",run="r1"}')).toBe(1);
    expect(s('flotilla_round_duration_seconds_count{run="r1"}')).toBe(2);
    expect(s('flotilla_round_duration_seconds_sum{run="r1"}')).toBeCloseTo(0.84);
    expect(s('flotilla_round_stage_duration_seconds_sum{stage="aggregation",run="r1"}')).toBeCloseTo(0.04);
    expect(s('flotilla_round_attempts_failed_total{cause="disconnected",run="r1"}')).toBe(1);
    expect(s('flotilla_clients_connected{run="r1"}')).toBe(2);
    expect(s('flotilla_client_connections_total{run="r1"}')).toBe(1);
    expect(s('flotilla_client_refusals_total{code="AUTH_FAILED",run="r1"}')).toBe(1);
    expect(s('flotilla_clients_selected_total{run="r1"}')).toBe(8);
    expect(s('flotilla_round_clients_selected{run="r1"}')).toBe(2);
    expect(s('flotilla_round_clients_participated{run="r1"}')).toBe(2);
    expect(s('flotilla_client_results_total{phase="fit",run="r1"}')).toBe(3);
    expect(s('flotilla_client_failures_total{phase="fit",cause="deadline",run="r1"}')).toBe(1);
    expect(s('flotilla_client_reply_seconds_sum{phase="fit",run="r1"}')).toBeCloseTo(1.6);
    expect(s('flotilla_bytes_sent_total{run="r1"}')).toBe(2000);
    expect(s('flotilla_bytes_received_total{run="r1"}')).toBe(4000);
    expect(s('flotilla_evaluation{kind="server",metric="loss",run="r1"}')).toBe(0.5);
    expect(s('flotilla_evaluation{kind="server",metric="accuracy",run="r1"}')).toBe(0.8);
    expect(s('flotilla_privacy_epsilon_spent{run="r1"}')).toBe(0.75);
    expect(s('flotilla_privacy_epsilon_remaining{run="r1"}')).toBe(1.25);
    expect(s('flotilla_privacy_epsilon_budget{run="r1"}')).toBe(2);
    expect(s('flotilla_alerts_total{rule="loss-divergence",severity="critical",run="r1"}')).toBe(1);
    // Firing: the alerts since the latest round started; round 2 started after the alert.
    expect(s('flotilla_alerts_firing{rule="loss-divergence",severity="critical",run="r1"}')).toBeUndefined();
    expect(s('flotilla_client_task_seconds_count{phase="fit",run="r1"}')).toBe(2);
    expect(s('flotilla_client_cpu_seconds_total{phase="fit",run="r1"}')).toBeCloseTo(0.4);
    expect(s('flotilla_client_peak_memory_bytes{client="a",run="r1"}')).toBe(5e8);
    expect(
      s('flotilla_client_device_cores{client="a",platform="node-20-linux-x64",backend="wasm",run="r1"}'),
    ).toBe(8);
  });

  it('keeps an alert firing until the next round starts', async () => {
    const events = new TypedEmitter<MetricsEvents>();
    const metrics = new RunMetrics({ processMetrics: false });
    metrics.attach(events);
    events.emit('round-started', { round: 1, attempt: 1, selected: ['a'] });
    metrics.recordAlert({ rule: 'straggler', severity: 'warning' });
    metrics.recordAlert({ rule: 'straggler', severity: 'warning' });
    expect(sample(await metrics.text(), 'flotilla_alerts_firing{rule="straggler",severity="warning"}')).toBe(
      2,
    );
  });

  it('caps the labels clients control: client ids, causes, metric names', async () => {
    const events = new TypedEmitter<MetricsEvents>();
    const metrics = new RunMetrics({ maxClientLabels: 3, processMetrics: false });
    metrics.attach(events);
    for (let i = 0; i < 10; i++) {
      events.emit('client-result', {
        round: 1,
        phase: 'fit',
        clientId: `c${i}`,
        durationMs: 1,
        resources: { fitMs: 1, peakMemoryBytes: 100 + i, device: { platform: `p${i}`, cores: 2 } },
      });
      events.emit('client-failed', { round: 1, phase: 'fit', failure: { clientId: 'x', cause: `odd-${i}` } });
    }
    events.emit('evaluation', {
      round: 1,
      kind: 'federated',
      result: { loss: 1, metrics: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${i}`, i])) },
    });
    const text = await metrics.text();
    const peaks = text.split('\n').filter((l) => l.startsWith('flotilla_client_peak_memory_bytes{'));
    expect(peaks).toHaveLength(4);
    expect(sample(text, 'flotilla_client_peak_memory_bytes{client="other"}')).toBe(109);
    expect(text.split('\n').filter((l) => l.startsWith('flotilla_client_device_cores{'))).toHaveLength(3);
    const evaluations = text.split('\n').filter((l) => l.startsWith('flotilla_evaluation{'));
    expect(evaluations.length).toBe(66); // loss, 64 named metrics, then "other"
    expect(sample(text, 'flotilla_evaluation{kind="federated",metric="other"}')).toBe(99);
  });

  it('names a failed attempt by the strategy or by its clients’ most common cause', () => {
    expect(attemptCause({ reason: 'aggregation failed: too few results', failures: [] })).toBe('aggregation');
    expect(
      attemptCause({
        reason: '1 of 4 returned',
        failures: [{ cause: 'deadline' }, { cause: 'disconnected' }, { cause: 'deadline' }],
      }),
    ).toBe('deadline');
    expect(attemptCause({ reason: '0 client(s) available, minFitClients is 2', failures: [] })).toBe(
      'too-few-clients',
    );
  });

  it('gives each server its own registry, with prom-client’s process metrics', async () => {
    const one = new RunMetrics({ runId: 'one' });
    const two = new RunMetrics({ runId: 'two' });
    const text = await one.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total\{run="one"\} /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes\{run="one"\} /m);
    expect(text).not.toContain('run="two"');
    expect(await two.text()).not.toContain('run="one"');
  });
});

describe('ResourceRecorder', () => {
  it('stores each committed round’s client reports and the server’s own use with the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-resources-'));
    const storage = SqliteStorage.open(join(dir, 'db.sqlite'));
    try {
      const params = ParameterSet.fromTensors([{ name: 'w', shape: [1], values: new Float32Array([0]) }]);
      await storage.createRun({
        runId: 'r',
        name: 'r',
        strategy: 'fedavg',
        config: {},
        initialParams: params,
      });
      const events = new TypedEmitter<MetricsEvents>();
      const recorder = new ResourceRecorder((e) => storage.recordEvent('r', e));
      recorder.attach(events);
      events.emit('client-result', {
        round: 1,
        phase: 'fit',
        clientId: 'a',
        durationMs: 1,
        resources: REPORT,
      });
      events.emit('client-result', { round: 1, phase: 'fit', clientId: 'b', durationMs: 1 });
      const evaluated = { ...REPORT, fitMs: 30 };
      events.emit('client-result', {
        round: 1,
        phase: 'evaluate',
        clientId: 'a',
        durationMs: 1,
        resources: evaluated,
      });
      events.emit('round-committed', committed(1));
      await expect.poll(async () => (await storage.events('r', { kind: 'resources' })).length).toBe(1);
      const [stored] = await storage.events('r', { kind: 'resources' });
      const data = stored!.data as RoundResources;
      expect(stored!.round).toBe(1);
      expect(data.clients).toEqual({ a: { fit: REPORT, evaluate: evaluated } });
      expect(data.server.rssBytes).toBeGreaterThan(0);
      expect(data.server.peakRssBytes).toBeGreaterThanOrEqual(data.server.rssBytes);
      expect(data.server.cpuMs).toBeGreaterThan(0);
      expect(recorder.latestByClient()).toEqual({ a: { ...evaluated, round: 1, phase: 'evaluate' } });
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

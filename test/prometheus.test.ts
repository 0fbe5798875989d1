/**
 * `GET /metrics` scraped by a real Prometheus (Debian `prometheus`): a TLS `flotilla server` process with two
 * `flotilla client` processes, Prometheus scraping the server's HTTPS port with the admin token (and a second job
 * without it), and the series Prometheus stored checked through its query API against the run in the database.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoundResources } from '../src/telemetry/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { flotilla, prepareFederation, waitFor, type Federation } from './support/federation.js';
import { startPrometheus, type Prometheus } from './support/prometheus.js';

let federation: Federation | undefined;
let prometheus: Prometheus | undefined;
afterEach(async () => {
  await prometheus?.stop();
  await federation?.stop();
  prometheus = undefined;
  federation = undefined;
});

const TOKEN = 'metrics-test-admin-token-4f1c9a';

async function readRun(db: string) {
  const storage = SqliteStorage.open(db);
  try {
    if (!(await storage.getRun('default'))) return { rounds: 0, fits: 0, evaluations: 0, resources: [] };
    const records = (await storage.rounds('default')).map(
      (r) =>
        r.record as unknown as {
          participants: string[];
          federatedEvaluation?: { participants: number };
        },
    );
    const resources = await storage.events('default', { kind: 'resources' });
    return {
      rounds: records.length,
      // What the committed rounds say they aggregated: a round's evaluation may commit without a client that dropped.
      fits: records.reduce((sum, r) => sum + r.participants.length, 0),
      evaluations: records.reduce((sum, r) => sum + (r.federatedEvaluation?.participants ?? 0), 0),
      resources,
    };
  } finally {
    await storage.close();
  }
}

describe('Prometheus scraping a federation', () => {
  it('stores the run’s series: rounds, stages, clients, bytes, evaluation, client resources, process', async () => {
    const f = (federation = await prepareFederation(2, 300));
    const server = flotilla(
      f.serverArgs([
        '--rounds',
        '500',
        '--min-clients',
        '2',
        '--evaluate-every',
        '1',
        '--max-retries',
        '20',
        '--seed',
        '7',
      ]),
      { FLOTILLA_ADMIN_TOKEN: TOKEN },
    );
    f.procs.push(server);
    await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');
    const target = `127.0.0.1:${f.port}`;
    const caFile = join(f.tlsDir, 'ca.crt');
    prometheus = await startPrometheus([
      { name: 'flotilla', target, scheme: 'https', bearer: TOKEN, caFile },
      { name: 'no-token', target, scheme: 'https', caFile },
    ]);
    const p = prometheus;
    const clients = f.sites.map((site) => f.startClient(site));
    await waitFor(async () => (await readRun(f.db)).rounds >= 3, 180_000, 'three committed rounds');
    await waitFor(
      async () => (await p.value('max_over_time(flotilla_clients_connected{job="flotilla"}[10m])')) === 2,
      60_000,
      'Prometheus to see both clients connected',
    );
    // Stop the clients: the run waits for them, so the database's round count is final and Prometheus can catch up.
    for (const c of clients) c.child.kill('SIGKILL');
    await Promise.all(clients.map((c) => c.exited));
    await waitFor(
      async () => (await p.value('flotilla_clients_connected{job="flotilla"}')) === 0,
      60_000,
      'Prometheus to see the clients gone',
    );
    const run = await readRun(f.db);
    const n = run.rounds;
    await waitFor(
      async () => (await p.value('flotilla_rounds_committed_total{job="flotilla"}')) === n,
      60_000,
      `Prometheus to store ${n} committed rounds (server output:\n${server.output})`,
    );
    const v = (expression: string) => p.value(expression);
    expect(await v('up{job="flotilla"}')).toBe(1);
    // Without the admin token the scrape is refused.
    expect(await v('up{job="no-token"}')).toBe(0);
    expect(await v('flotilla_round_last_committed{job="flotilla",run="default"}')).toBe(n);
    expect(await v('flotilla_rounds_planned{job="flotilla"}')).toBe(500);
    expect(await v('flotilla_round_duration_seconds_count{job="flotilla"}')).toBe(n);
    expect(await v('flotilla_round_stage_duration_seconds_count{job="flotilla",stage="fit"}')).toBe(n);
    expect(await v('flotilla_round_stage_duration_seconds_sum{job="flotilla",stage="fit"}')).toBeGreaterThan(
      0,
    );
    expect(await v('flotilla_round_stage_duration_seconds_count{job="flotilla",stage="evaluation"}')).toBe(n);
    expect(await v('flotilla_client_connections_total{job="flotilla"}')).toBeGreaterThanOrEqual(2);
    expect(await v('flotilla_client_disconnections_total{job="flotilla"}')).toBeGreaterThanOrEqual(2);
    // At least what the committed rounds aggregated (a failed attempt's results count too).
    expect(await v('flotilla_client_results_total{job="flotilla",phase="fit"}')).toBeGreaterThanOrEqual(
      run.fits,
    );
    expect(await v('flotilla_client_results_total{job="flotilla",phase="evaluate"}')).toBeGreaterThanOrEqual(
      run.evaluations,
    );
    expect(run.fits).toBeGreaterThanOrEqual(n);
    expect(await v('flotilla_clients_selected_total{job="flotilla"}')).toBeGreaterThanOrEqual(2 * n);
    expect(await v('flotilla_bytes_sent_total{job="flotilla"}')).toBeGreaterThan(n * 2 * 21 * 4);
    expect(await v('flotilla_bytes_received_total{job="flotilla"}')).toBeGreaterThan(n * 2 * 21 * 4);
    const loss = await v('flotilla_evaluation{job="flotilla",kind="federated",metric="loss"}');
    expect(loss).toBeGreaterThan(0);
    expect(Number.isFinite(loss)).toBe(true);
    // The clients' own resource reports.
    expect(await v('flotilla_client_task_seconds_count{job="flotilla",phase="fit"}')).toBeGreaterThanOrEqual(
      2 * n,
    );
    expect(await v('flotilla_client_cpu_seconds_total{job="flotilla",phase="fit"}')).toBeGreaterThan(0);
    for (const site of f.sites) {
      expect(
        await v(`flotilla_client_peak_memory_bytes{job="flotilla",client="${site.id}"}`),
      ).toBeGreaterThan(1e7);
      const [device] = await p.query(`flotilla_client_device_cores{job="flotilla",client="${site.id}"}`);
      expect(device?.value).toBeGreaterThanOrEqual(1);
      expect(device?.metric['backend']).toMatch(/^(wasm|cpu)$/);
      expect(device?.metric['platform']).toMatch(/^node-\d+\.\d+\.\d+-linux-/);
    }
    // The server's own process metrics (prom-client's defaults).
    expect(await v('process_resident_memory_bytes{job="flotilla"}')).toBeGreaterThan(1e7);
    expect(await v('nodejs_eventloop_lag_seconds{job="flotilla"}')).toBeGreaterThanOrEqual(0);

    // Recorded in the run: one resources event per committed round, with both clients' fit reports.
    expect(run.resources.map((e) => e.round)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const first = run.resources[0]!.data as RoundResources;
    expect(Object.keys(first.clients).sort()).toEqual(['site-0', 'site-1']);
    expect(first.clients['site-0']!['fit']!.cpuMs).toBeGreaterThan(0);
    expect(first.clients['site-0']!['evaluate']!.fitMs).toBeGreaterThan(0);
    expect(first.server.rssBytes).toBeGreaterThan(1e7);
  }, 400_000);
});

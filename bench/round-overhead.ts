/**
 * Round overhead of a deployment: 50 clients over TLS WebSockets on 127.0.0.1 with a 7,850-parameter model
 * (logistic regression on 784 features, 10 classes) whose fit returns at once, so a round is all server, protocol
 * and storage: selection, encoding, 50 frames out and back, validation, aggregation, the SQLite commit.
 * Target: under 50 ms per round, and at most 5% more with the Prometheus metrics on.
 */
import { TypedEmitter } from '../src/core/index.js';
import { RunMetrics, type MetricsEvents } from '../src/telemetry/index.js';
import { runDeploymentBench } from './deployment-server.js';

export const name = 'round-overhead';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * The metrics' own CPU cost, which a loaded machine's round-time noise can hide: one round's events for 50 clients
 * (selection, 50 results with resource reports, evaluation, commit) fed to a RunMetrics, and one scrape of it.
 */
async function metricsCost(): Promise<{ eventsPerRoundMs: number; scrapeMs: number }> {
  const events = new TypedEmitter<MetricsEvents>();
  const metrics = new RunMetrics({ runId: 'bench' });
  metrics.attach(events);
  const selected = Array.from({ length: 50 }, (_, i) => `c${i}`);
  const resources = { fitMs: 3, cpuMs: 2, peakMemoryBytes: 2e8, bytesIn: 31_500, bytesOut: 31_400 };
  const device = { platform: 'node-20.20.2-linux-x64', cores: 2, memoryBytes: 8e9 };
  const durations = { fitMs: 20, aggregationMs: 2, evaluationMs: 0, totalMs: 25 };
  const round = (r: number) => {
    events.emit('round-started', { round: r, attempt: 1, selected });
    for (const clientId of selected) {
      const report = { ...resources, device };
      events.emit('client-result', { round: r, phase: 'fit', clientId, durationMs: 15, resources: report });
    }
    events.emit('evaluation', {
      round: r,
      kind: 'server',
      result: { loss: 0.4, metrics: { accuracy: 0.9 } },
    });
    const record = {
      round: r,
      selected,
      participants: selected,
      durations,
      bytesSent: 1.6e6,
      bytesReceived: 1.6e6,
    };
    events.emit('round-committed', { record });
  };
  for (let r = 1; r <= 200; r++) round(r); // warm-up
  const rounds = 2000;
  let t = performance.now();
  for (let r = 201; r < 201 + rounds; r++) round(r);
  const eventsPerRoundMs = (performance.now() - t) / rounds;
  for (let i = 0; i < 20; i++) await metrics.text();
  t = performance.now();
  for (let i = 0; i < 100; i++) await metrics.text();
  return { eventsPerRoundMs, scrapeMs: (performance.now() - t) / 100 };
}

/**
 * The same deployment with the Prometheus metrics off and on (scraped every second, on a port of their own),
 * alternated so that the machine's load drifts over both alike: the metrics' overhead on the median round.
 */
export async function run(): Promise<object> {
  const rounds = 100;
  const spec = { clients: 50, rounds, model: 'logreg', inputShape: [784], numClasses: 10 } as const;
  const steady: Record<'off' | 'on', number[]> = { off: [], on: [] };
  let last: Awaited<ReturnType<typeof runDeploymentBench>> | undefined;
  for (const mode of ['off', 'on', 'off', 'on'] as const) {
    last = await runDeploymentBench(
      mode === 'off' ? { ...spec, metrics: false } : { ...spec, metrics: { port: 0 }, scrapeEveryMs: 1000 },
    );
    // The first rounds warm the JIT and the connections up; the steady state is what a long run pays.
    steady[mode].push(...last.roundSeconds.slice(10));
  }
  const off = median(steady.off);
  const on = median(steady.on);
  const cost = await metricsCost();
  return {
    clients: 50,
    parameters: last!.parameters,
    rounds,
    secondsPerRoundMedian: on,
    secondsPerRoundMedianWithoutMetrics: off,
    metricsOverheadPercent: Number((((on - off) / off) * 100).toFixed(2)),
    targetMetricsOverheadPercent: 5,
    metricsCpuPerRoundMs: Number(cost.eventsPerRoundMs.toFixed(4)),
    metricsScrapeMs: Number(cost.scrapeMs.toFixed(3)),
    secondsPerRoundMean: steady.on.reduce((a, b) => a + b, 0) / steady.on.length,
    firstRoundSeconds: last!.roundSeconds[0],
    targetSecondsPerRound: 0.05,
    serverRssBytes: last!.rssAfterRunBytes,
    serverRssGrowthWithClientsBytes: last!.rssAllConnectedBytes - last!.rssBeforeClientsBytes,
  };
}

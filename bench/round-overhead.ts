/**
 * Round overhead of a deployment: 50 clients over TLS WebSockets on 127.0.0.1 with a 7,850-parameter model
 * (logistic regression on 784 features, 10 classes) whose fit returns at once, so a round is all server, protocol
 * and storage: selection, encoding, 50 frames out and back, validation, aggregation, the SQLite commit.
 * Target: under 50 ms per round, and at most 5% more with the Prometheus metrics on.
 */
import { runDeploymentBench } from './deployment-server.js';

export const name = 'round-overhead';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

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
  return {
    clients: 50,
    parameters: last!.parameters,
    rounds,
    secondsPerRoundMedian: on,
    secondsPerRoundMedianWithoutMetrics: off,
    metricsOverheadPercent: Number((((on - off) / off) * 100).toFixed(2)),
    targetMetricsOverheadPercent: 5,
    secondsPerRoundMean: steady.on.reduce((a, b) => a + b, 0) / steady.on.length,
    firstRoundSeconds: last!.roundSeconds[0],
    targetSecondsPerRound: 0.05,
    serverRssBytes: last!.rssAfterRunBytes,
    serverRssGrowthWithClientsBytes: last!.rssAllConnectedBytes - last!.rssBeforeClientsBytes,
  };
}

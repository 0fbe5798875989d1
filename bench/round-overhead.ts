/**
 * Round overhead of a deployment: 50 clients over TLS WebSockets on 127.0.0.1 with a 7,850-parameter model
 * (logistic regression on 784 features, 10 classes) whose fit returns at once, so a round is all server, protocol
 * and storage: selection, encoding, 50 frames out and back, validation, aggregation, the SQLite commit.
 * Target: under 50 ms per round.
 */
import { runDeploymentBench } from './deployment-server.js';

export const name = 'round-overhead';

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<object> {
  const rounds = 100;
  const r = await runDeploymentBench({
    clients: 50,
    rounds,
    model: 'logreg',
    inputShape: [784],
    numClasses: 10,
  });
  // The first rounds warm the JIT and the connections up; the steady state is what a long run pays.
  const steady = r.roundSeconds.slice(10);
  return {
    clients: 50,
    parameters: r.parameters,
    rounds,
    secondsPerRoundMedian: median(steady),
    secondsPerRoundMean: steady.reduce((a, b) => a + b, 0) / steady.length,
    firstRoundSeconds: r.roundSeconds[0],
    targetSecondsPerRound: 0.05,
    serverRssBytes: r.rssAfterRunBytes,
    serverRssGrowthWithClientsBytes: r.rssAllConnectedBytes - r.rssBeforeClientsBytes,
  };
}

/**
 * 1,000 concurrent client connections held by one server process (TLS, token authentication against SQLite), the
 * clients in a separate helper process: memory per connection, and the time for all of them to complete one round
 * of a 100,000-parameter model (logistic regression on 9,999 features, 10 classes) whose fit returns at once.
 */
import { runDeploymentBench } from './deployment-server.js';

export const name = 'connections';

export async function run(): Promise<object> {
  const clients = 1000;
  const r = await runDeploymentBench({
    clients,
    rounds: 2,
    model: 'logreg',
    inputShape: [9999],
    numClasses: 10,
  });
  return {
    clients,
    parameters: r.parameters,
    connectSeconds: r.connectSeconds,
    rssPerConnectionBytes: (r.rssAllConnectedBytes - r.rssBeforeClientsBytes) / clients,
    heapPerConnectionBytes: (r.heapAllConnectedBytes - r.heapBeforeClientsBytes) / clients,
    roundSeconds: r.roundSeconds,
    serverRssAfterRunBytes: r.rssAfterRunBytes,
  };
}

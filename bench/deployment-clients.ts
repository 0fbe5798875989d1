/**
 * Helper process of the deployment benchmarks: holds many client connections to a server, each a real
 * ClientConnection and ClientRuntime over TLS, whose fit returns the global parameters at once (no training), so
 * the benchmark measures the server and the protocol. Usage: node deployment-clients.js SPEC.json, where the spec
 * holds the endpoint, the CA file and the clients' names and tokens. Exits when every connection has ended.
 */
import { readFileSync } from 'node:fs';
import { ClientConnection, ClientRuntime } from '../src/client/index.js';
import { nodeResourceProbe, nodeWebSocketFactory } from '../src/client/node/index.js';
import type { Trainer } from '../src/core/index.js';

export interface ClientsSpec {
  readonly url: string;
  readonly caFile: string;
  readonly clients: readonly { readonly id: string; readonly token: string }[];
}

const immediate: Trainer = {
  fit: async (params) => ({ params, numExamples: 1, localSteps: 1, metrics: {} }),
  evaluate: async () => ({ loss: 0, numExamples: 1, metrics: {} }),
};

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ClientsSpec;
const connect = nodeWebSocketFactory({ caFile: spec.caFile });
const connections = spec.clients.map(
  ({ id, token }) =>
    new ClientConnection({
      url: spec.url,
      clientId: id,
      token,
      // Resource reports, as `flotilla client` sends them.
      runtime: new ClientRuntime(immediate, { resources: nodeResourceProbe() }),
      connect,
    }),
);
process.once('SIGTERM', () => connections.forEach((c) => c.close()));
await Promise.all(connections.map((c) => c.done));

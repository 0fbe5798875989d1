/**
 * The server's monitoring (issue 13): Prometheus metrics of the run and resource records, both subscribers of the
 * engine's and the pool's events (DESIGN principle 5). `GET /metrics` is served either on the main HTTPS port behind
 * the admin token (app.ts), or, when the operator picks `metricsPort`, alone on a plain-HTTP listener of its own
 * (default address 127.0.0.1): meant for a Prometheus on the same host or network, without a token to manage.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FlotillaError } from '../core/index.js';
import type { EngineEmitter } from '../engine/index.js';
import type { Storage } from '../storage/index.js';
import { ResourceRecorder, RunMetrics } from '../telemetry/index.js';
import type { WebSocketClientPool } from '../transport/websocket/index.js';
import { checkPortFree, listenError } from './port-check.js';

/**
 * Where `GET /metrics` is served: absent `port`, on the server's own port behind the admin token; with it, on a
 * plain-HTTP listener at host:port (0 picks a free port). `false` turns the Prometheus metrics off.
 */
export interface MetricsConfig {
  readonly port?: number;
  /** Address of the separate listener. Default 127.0.0.1. */
  readonly host?: string;
  /** Clients with series of their own; the rest share client="other". Default 100. */
  readonly maxClientLabels?: number;
}

export interface Monitoring {
  /** Undefined when metrics are off. */
  readonly metrics: RunMetrics | undefined;
  readonly resources: ResourceRecorder;
  /** True when `/metrics` belongs on the main port (behind the admin token). */
  readonly onMainPort: boolean;
  /** Starts the separate listener, if any; resolves to its URL. */
  listen(): Promise<string | undefined>;
  close(): Promise<void>;
}

export async function createMonitoring(options: {
  readonly config: MetricsConfig | false | undefined;
  readonly runId: string;
  readonly events: EngineEmitter;
  readonly pool: WebSocketClientPool;
  readonly storage: Storage;
  readonly mainPort: number;
}): Promise<Monitoring> {
  const { config, runId, events, pool, storage } = options;
  const resources = new ResourceRecorder((e) => storage.recordEvent(runId, e));
  resources.attach(events);
  const metrics =
    config === false
      ? undefined
      : new RunMetrics({
          runId,
          ...(config?.maxClientLabels !== undefined ? { maxClientLabels: config.maxClientLabels } : {}),
        });
  metrics?.attach(events);
  metrics?.attachConnections(pool.events, () => pool.connected().length);
  const separate =
    metrics && config && config.port !== undefined ? { ...config, port: config.port } : undefined;
  const host = separate?.host ?? '127.0.0.1';
  if (separate) {
    if (separate.port !== 0 && separate.port === options.mainPort) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `"metricsPort" ${separate.port} is the server's own port; pick another, or leave it out to serve /metrics there`,
        { key: 'metricsPort' },
      );
    }
    await checkPortFree(host, separate.port, '--metrics-port');
  }
  let listener: Server | undefined;
  return {
    metrics,
    resources,
    onMainPort: metrics !== undefined && separate === undefined,
    async listen() {
      if (!separate || !metrics) return undefined;
      listener = createServer((request, response) => {
        if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
          return;
        }
        metrics.text().then(
          (body) => response.writeHead(200, { 'content-type': metrics.contentType }).end(body),
          () => response.writeHead(500).end(),
        );
      });
      const server = listener;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error) => reject(listenError(error, host, separate.port, '--metrics-port')));
        server.listen({ host, port: separate.port }, resolve);
      });
      const port = (server.address() as AddressInfo).port;
      return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
    },
    async close() {
      const server = listener;
      if (!server?.listening) return;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

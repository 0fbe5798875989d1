/**
 * The server side of the deployment benchmarks: a real `startServer` (TLS, SQLite storage, registered clients,
 * the round engine) in this process, and the clients in a helper process (deployment-clients.ts), so this
 * process's memory is the server's. Reports when every client was connected, per-round wall times, and memory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelName } from '../src/ml/index.js';
import { createCertificates, startServer, type ServerConfig } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import type { ClientsSpec } from './deployment-clients.js';

export interface DeploymentBenchSpec {
  readonly clients: number;
  readonly rounds: number;
  readonly model: ModelName;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** The server's Prometheus metrics (default: on its own port, as below); false turns them off. */
  readonly metrics?: ServerConfig['metrics'];
  /** With metrics on a port of their own: scrape them this often during the run, as Prometheus would. */
  readonly scrapeEveryMs?: number;
}

export interface DeploymentBenchResult {
  readonly parameters: number;
  /** Wall time from each round's start to its commit (storage included), in seconds. */
  readonly roundSeconds: readonly number[];
  readonly rssBeforeClientsBytes: number;
  readonly rssAllConnectedBytes: number;
  readonly heapBeforeClientsBytes: number;
  readonly heapAllConnectedBytes: number;
  readonly rssAfterRunBytes: number;
  readonly connectSeconds: number;
}

/** Node arguments that run the helper next to this file: built JavaScript, or TypeScript through tsx. */
function helperArgs(): string[] {
  const source = import.meta.url.endsWith('.ts');
  const path = fileURLToPath(new URL(`./deployment-clients${source ? '.ts' : '.js'}`, import.meta.url));
  return source ? ['--import', 'tsx', path] : [path];
}

export async function runDeploymentBench(spec: DeploymentBenchSpec): Promise<DeploymentBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  try {
    const tlsDir = join(dir, 'tls');
    await createCertificates(tlsDir, { hosts: ['127.0.0.1'], clients: [] });
    const db = join(dir, 'server.db');
    const storage = SqliteStorage.open(db);
    const clients = await Promise.all(
      Array.from({ length: spec.clients }, async (_, i) => {
        const id = `c${i}`;
        return { id, token: (await storage.addClient(id)).token };
      }),
    );
    await storage.close();

    let connected = 0;
    let allConnected: () => void;
    const everyone = new Promise<void>((r) => (allConnected = r));
    const memory = { rss: 0, heap: 0 };
    const roundStarts = new Map<number, number>();
    const roundSeconds: number[] = [];
    let metricsUrl: string | undefined;
    const server = await startServer(
      {
        host: '127.0.0.1',
        port: 0,
        dbPath: db,
        tls: { cert: join(tlsDir, 'server.crt'), key: join(tlsDir, 'server.key'), requireClientCert: false },
        runId: 'bench',
        model: { name: spec.model, inputShape: spec.inputShape, numClasses: spec.numClasses, seed: 1 },
        strategy: 'fedavg',
        engine: { rounds: spec.rounds, fractionFit: 1, minResults: { fraction: 1 }, fitDeadlineMs: 600_000 },
        minClients: spec.clients,
        // One message per client per round and a few heartbeats: the defaults are per connection, not the bottleneck.
        limits: { heartbeatMs: 30_000, heartbeatTimeoutMs: 600_000 },
        ...(spec.metrics !== undefined ? { metrics: spec.metrics } : {}),
      },
      {
        log: (e) => {
          if (e.event === 'listening') metricsUrl = e.metrics;
          if (e.event === 'connected' && ++connected === spec.clients) {
            const usage = process.memoryUsage();
            memory.rss = usage.rss;
            memory.heap = usage.heapUsed;
            allConnected();
          }
        },
        subscribe: (events) => {
          events.on('round-started', ({ round }) => {
            if (!roundStarts.has(round)) roundStarts.set(round, performance.now());
          });
          events.on('round-committed', ({ record }) =>
            roundSeconds.push((performance.now() - roundStarts.get(record.round)!) / 1000),
          );
        },
      },
    );
    const before = process.memoryUsage();
    const parameters = (await server.storage.initialParams('bench')).data.length;
    const specFile = join(dir, 'clients.json');
    const clientsSpec: ClientsSpec = { url: server.url, caFile: join(tlsDir, 'ca.crt'), clients };
    await writeFile(specFile, JSON.stringify(clientsSpec));
    const connectStart = performance.now();
    const helper = spawn(process.execPath, [...helperArgs(), specFile], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const helperExited = new Promise((r) => helper.once('exit', r));
    const scrapes =
      metricsUrl && spec.scrapeEveryMs
        ? setInterval(() => void fetch(metricsUrl!).then((r) => r.text()), spec.scrapeEveryMs)
        : undefined;
    try {
      await everyone;
      const connectSeconds = (performance.now() - connectStart) / 1000;
      await server.finished;
      const after = process.memoryUsage();
      return {
        parameters,
        roundSeconds,
        rssBeforeClientsBytes: before.rss,
        rssAllConnectedBytes: memory.rss,
        heapBeforeClientsBytes: before.heapUsed,
        heapAllConnectedBytes: memory.heap,
        rssAfterRunBytes: after.rss,
        connectSeconds,
      };
    } finally {
      clearInterval(scrapes);
      await server.close();
      if (helper.exitCode === null) helper.kill('SIGTERM');
      await helperExited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

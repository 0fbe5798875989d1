/**
 * A real coordinator in this process for tests of its network front: TLS (optionally mutual) from
 * `createCertificates`, SQLite in a temporary folder, clients registered up front, every log event kept. Its run
 * never starts (it waits for more clients than any test connects), so only the front is exercised.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificates } from '../../src/server/certs.js';
import {
  startServer,
  type RunningServer,
  type ServerConfig,
  type ServerLogEvent,
} from '../../src/server/index.js';
import { clientCertificateFingerprint } from '../../src/server/tls.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';

export interface FrontClient {
  readonly token: string;
  /** PEM certificate and key from `certs init`. */
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface Front {
  readonly server: RunningServer;
  readonly url: string;
  readonly port: number;
  readonly ca: Buffer;
  readonly clients: Readonly<Record<string, FrontClient>>;
  readonly logs: ServerLogEvent[];
  stop(): Promise<void>;
}

export interface FrontOptions {
  readonly limits?: ServerConfig['limits'];
  readonly mtls?: boolean;
  /** Clients whose certificate is registered with them (`clients add NAME --cert FILE`); the others have none. */
  readonly withCertificate?: readonly string[];
}

export async function startFront(names: readonly string[], options: FrontOptions = {}): Promise<Front> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-front-'));
  const tlsDir = join(dir, 'tls');
  await createCertificates(tlsDir, { hosts: ['127.0.0.1'], clients: [...names] });
  const dbPath = join(dir, 'server.db');
  const storage = SqliteStorage.open(dbPath);
  const clients: Record<string, FrontClient> = {};
  for (const name of names) {
    const certFile = join(tlsDir, 'clients', `${name}.crt`);
    const registered = options.withCertificate?.includes(name)
      ? { certificateFingerprint: clientCertificateFingerprint(certFile) }
      : {};
    const { token } = await storage.addClient(name, registered);
    clients[name] = {
      token,
      cert: readFileSync(certFile),
      key: readFileSync(join(tlsDir, 'clients', `${name}.key`)),
    };
  }
  await storage.close();
  const logs: ServerLogEvent[] = [];
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      dbPath,
      tls: {
        cert: join(tlsDir, 'server.crt'),
        key: join(tlsDir, 'server.key'),
        ca: join(tlsDir, 'ca.crt'),
        requireClientCert: options.mtls === true,
      },
      runId: 'front',
      model: { name: 'logreg', inputShape: [4], numClasses: 2, seed: 0 },
      strategy: 'fedavg',
      engine: { rounds: 1 },
      minClients: 1000,
      ...(options.limits ? { limits: options.limits } : {}),
    },
    { log: (event) => logs.push(event) },
  );
  return {
    server,
    url: server.url,
    port: server.port,
    ca: readFileSync(join(tlsDir, 'ca.crt')),
    clients,
    logs,
    async stop() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Real processes for end-to-end tests: a TLS server and client processes of the `flotilla` command, on 127.0.0.1
 * with a free port, each with its own generated stroke cohort. Every process started is killed in `stop`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateStrokeCohort, writeStrokeCsv, type StrokeProfileName } from '../../src/data/index.js';
import { createCertificates } from '../../src/server/certs.js';
import { SqliteStorage } from '../../src/storage/sqlite/index.js';

const CLI = new URL('./cli.ts', import.meta.url).pathname;

export interface Proc {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<number | null>;
}

export function flotilla(args: readonly string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: Proc = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d: Buffer) => (proc.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (proc.output += d.toString()));
  return proc;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Site {
  readonly id: string;
  readonly csv: string;
  readonly token: string;
}

export interface Federation {
  readonly dir: string;
  readonly db: string;
  readonly tlsDir: string;
  readonly port: number;
  readonly url: string;
  readonly sites: readonly Site[];
  readonly procs: Proc[];
  serverArgs(extra?: readonly string[]): string[];
  startServer(extra?: readonly string[]): Proc;
  startClient(site: Site, extra?: readonly string[]): Proc;
  stop(): Promise<void>;
}

const PROFILES: readonly StrokeProfileName[] = ['elderly-urban', 'young-professionals', 'general'];

export async function prepareFederation(clients: number, rowsPerClient: number): Promise<Federation> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-e2e-'));
  const db = join(dir, 'server.db');
  const tlsDir = join(dir, 'tls');
  await createCertificates(tlsDir, { hosts: ['127.0.0.1', 'localhost'], clients: [] });
  const storage = SqliteStorage.open(db);
  const sites: Site[] = [];
  for (let i = 0; i < clients; i++) {
    const id = `site-${i}`;
    const csv = join(dir, `${id}.csv`);
    await writeStrokeCsv(
      csv,
      generateStrokeCohort({ size: rowsPerClient, seed: 100 + i, profile: PROFILES[i % PROFILES.length]! }),
    );
    sites.push({ id, csv, token: (await storage.addClient(id)).token });
  }
  await storage.close();
  const port = await freePort();
  const url = `wss://127.0.0.1:${port}/ws`;
  const procs: Proc[] = [];
  const federation: Federation = {
    dir,
    db,
    tlsDir,
    port,
    url,
    sites,
    procs,
    serverArgs: (extra = []) => [
      'server',
      '--port',
      String(port),
      '--db',
      db,
      '--tls-dir',
      tlsDir,
      '--input-size',
      '21',
      ...extra,
    ],
    startServer(extra = []) {
      const p = flotilla(federation.serverArgs(extra));
      procs.push(p);
      return p;
    },
    startClient(site, extra = []) {
      // The token in the environment, as the README says: a --token flag would show in `ps`.
      const p = flotilla(
        [
          'client',
          '--server',
          url,
          '--id',
          site.id,
          '--data',
          site.csv,
          '--ca',
          join(tlsDir, 'ca.crt'),
          '--cache-dir',
          join(dir, 'cache'),
          ...extra,
        ],
        { FLOTILLA_TOKEN: site.token },
      );
      procs.push(p);
      return p;
    },
    async stop() {
      for (const p of procs)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return federation;
}

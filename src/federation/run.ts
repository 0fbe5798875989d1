/**
 * A federation on this machine as separate OS processes: one `flotilla server` and one `flotilla client` per party,
 * on 127.0.0.1 over TLS WebSockets, exactly as a deployment on several machines would run them. Live progress comes
 * from the server's log (listening, connections) and its admin API (committed rounds). Every process started here is
 * stopped before `runFederation` settles, whether the run completed, failed or was aborted.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlotillaError } from '../core/index.js';
import { AdminClient } from '../server/index.js';
import type { ScenarioConfig } from '../sim/scenario.js';
import type { StoredRound } from '../storage/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { PartySupervisor, exitFailure } from './parties.js';
import { ProcessGroup, type ManagedProcess } from './processes.js';
import { claimWorkspace, prepareWorkspace, type Workspace } from './workspace.js';

export interface FederationSpec {
  /** Working folder (certificates, database, the parties' files); see workspace.ts. */
  readonly dir: string;
  readonly scenario: ScenarioConfig;
  /**
   * Keys of the server's config file (`flotilla server --config`) for the run: rounds, local training, strategy.
   * Host, port, storage, TLS, the model's shape and the minimum clients are filled in here.
   */
  readonly server: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  /**
   * `flotilla` commands run one after another before the server starts, each of which must succeed: key material
   * the run needs (a CKKS key for the clients, identity keys and their roster). `keysDir` is this run's own folder.
   */
  readonly setup?: (keysDir: string, parties: readonly string[]) => readonly (readonly string[])[];
  /** Extra flags of each party's `flotilla client` (its key files, its own privacy budget). */
  readonly clientArgs?: (partyId: string, keysDir: string) => readonly string[];
}

export interface FederationHooks {
  readonly log: (text: string) => void;
  /** Each committed round, in order, as the server stored it. */
  readonly round: (round: StoredRound) => void;
}

export interface FederationOutcome {
  readonly workspace: Workspace;
  readonly runId: string;
  readonly status: 'completed' | 'aborted';
  readonly lastRound: number;
}

const POLL_MS = 250;

/** Resolves with the value of `ready`, or fails when `proc` exits first or the run is aborted. */
function beforeExit<T>(ready: Promise<T>, proc: ManagedProcess, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    ready.then(resolve, reject);
    void proc.exited.then(() => reject(exitFailure(proc)));
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function runIdNow(): string {
  return `federation-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
}

export async function runFederation(
  spec: FederationSpec,
  hooks: FederationHooks,
): Promise<FederationOutcome> {
  const lock = await claimWorkspace(spec.dir);
  const group = new ProcessGroup();
  try {
    const workspace = await prepareWorkspace(spec.dir, spec.scenario);
    const { parties } = workspace;
    if (workspace.createdCertificates)
      hooks.log(`created a CA and a server certificate in ${workspace.tlsDir}`);
    hooks.log(
      `parties: ${parties.map((p) => `${p.id} (${p.trainRows} training, ${p.testRows} held-out rows)`).join(', ')}`,
    );
    const runId = runIdNow();
    const keysDir = join(spec.dir, 'keys', runId);
    await mkdir(keysDir, { recursive: true, mode: 0o700 });
    for (const args of spec.setup?.(
      keysDir,
      parties.map((p) => p.id),
    ) ?? []) {
      const step = group.start(args.slice(0, 2).join(' '), args);
      const code = await step.exited;
      if (code !== 0) throw exitFailure(step);
    }
    const serverConfig = join(spec.dir, 'server.json');
    await writeFile(
      serverConfig,
      `${JSON.stringify(
        {
          ...spec.server,
          host: '127.0.0.1',
          port: 0,
          db: 'server.db',
          tlsDir: 'tls',
          runId,
          inputSize: workspace.inputSize,
          numClasses: workspace.numClasses,
          minClients: parties.length,
        },
        null,
        2,
      )}\n`,
    );
    // A fresh admin token per run, handed over in the environment so it never shows in a process listing.
    const adminToken = randomBytes(24).toString('base64url');
    let listening: (url: string) => void;
    // Parties start once the server listens (launch below); the server's log tells the supervisor who joined.
    const supervisor = new PartySupervisor(
      parties.map((p) => p.id),
      (id) => startParty(id),
      hooks.log,
    );
    const url = new Promise<string>((resolve) => (listening = resolve));
    const server = group.start('server', ['server', '--config', serverConfig], {
      env: { FLOTILLA_ADMIN_TOKEN: adminToken },
      onLine: (line) => {
        if (!line.startsWith('{')) return;
        let event: {
          event?: string;
          url?: string;
          clientId?: string;
          code?: string;
          message?: string;
          round?: number;
          needed?: number;
          connected?: number;
          reason?: string;
          retryInMs?: number;
        };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return;
        }
        if (event.event === 'listening' && event.url) listening(event.url);
        if (event.event === 'connected' && event.clientId) {
          hooks.log(`${event.clientId} connected`);
          supervisor.joined(event.clientId);
        }
        if (event.event === 'waiting' && event.round !== undefined) {
          hooks.log(
            `round ${event.round} waits for its parties: ${event.connected} of ${event.needed} connected`,
          );
        }
        if (event.event === 'retrying') {
          hooks.log(
            `round ${event.round} attempt failed (${event.reason}); retrying in ${((event.retryInMs ?? 0) / 1000).toFixed(1)} s`,
          );
        }
        // The end of the run reaches every client as a refusal too; only real refusals are news.
        if (event.event === 'refused' && event.code !== 'RUN_FINISHED') {
          hooks.log(`server refused ${event.clientId ?? 'a connection'}: ${event.code}: ${event.message}`);
        }
      },
    });
    hooks.log(`server: pid ${server.child.pid}, run ${runId}`);
    const endpoint = await beforeExit(url, server, spec.signal);
    hooks.log(`server listening at ${endpoint}`);

    const startParty = (id: string) => {
      const party = parties.find((p) => p.id === id)!;
      return group.start(
        party.id,
        [
          'client',
          '--server',
          endpoint,
          '--id',
          party.id,
          '--data',
          party.train,
          ...(party.testRows > 0 ? ['--test-data', party.test] : []),
          '--preprocessing',
          workspace.preprocessing,
          '--model',
          String(spec.scenario.model),
          '--ca',
          join(workspace.tlsDir, 'ca.crt'),
          '--cache-dir',
          join(spec.dir, 'cache'),
          '--quiet',
          ...(spec.clientArgs?.(party.id, keysDir) ?? []),
        ],
        { env: { FLOTILLA_TOKEN: party.token } },
      );
    };
    supervisor.launch();

    const admin = new AdminClient({
      server: endpoint,
      adminToken,
      caFile: join(workspace.tlsDir, 'ca.crt'),
    });
    let shown = 0;
    const show = (rounds: readonly StoredRound[]) => {
      for (const round of rounds) {
        if (round.round <= shown) continue;
        hooks.round(round);
        shown = round.round;
        supervisor.progressed();
      }
    };
    let serverCode: number | null | undefined;
    void server.exited.then((code) => (serverCode = code));
    while (serverCode === undefined) {
      if (spec.signal?.aborted) return { workspace, runId, status: 'aborted', lastRound: shown };
      // A party that crashed is started again (the server waits for it); one that cannot be kept running fails the run.
      supervisor.check();
      try {
        const status = await admin.get<{ lastRound: number }>('status');
        if (status.lastRound > shown) {
          show((await admin.get<{ rounds: StoredRound[] }>(`runs/${encodeURIComponent(runId)}`)).rounds);
        }
      } catch {
        // The server may be between its last round and its exit; the rounds are read from storage below.
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (serverCode !== 0) throw exitFailure(server);
    const storage = SqliteStorage.open(workspace.db);
    try {
      show(await storage.rounds(runId));
      const run = await storage.getRun(runId);
      if (run?.status !== 'completed') {
        throw new FlotillaError(
          'ROUND_FAILED',
          `run ${runId} ended ${run?.status ?? 'unrecorded'}${run?.statusMessage ? `: ${run.statusMessage}` : ''}`,
        );
      }
    } finally {
      await storage.close();
    }
    return { workspace, runId, status: 'completed', lastRound: shown };
  } finally {
    await group.stop();
    lock.release();
  }
}

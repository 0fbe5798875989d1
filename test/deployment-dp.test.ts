/**
 * Differential privacy in a real deployment: a TLS server process and client processes of the `flotilla` command
 * run DP-FedAvg, distributed DP under SecAgg+ and DP-SGD; the server's ledger survives SIGKILL; a DP-SGD client
 * keeps its own ledger across restarts and refuses to train past its own budget.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import type { PrivacyCheckpoint, RoundRecord } from '../src/engine/index.js';
import { RoundEngine } from '../src/engine/index.js';
import { createStrategy } from '../src/strategy/index.js';
import { StorageCommitter } from '../src/storage/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { InProcessPool, RuntimeClientHost } from '../src/transport/index.js';
import { flotilla, prepareFederation, waitFor, type Federation } from './support/federation.js';

let federation: Federation | undefined;
afterEach(async () => {
  await federation?.stop();
  federation = undefined;
});

const RUN = ['--seed', '7', '--model-seed', '3', '--learning-rate', '0.1', '--batch-size', '32'];
/** Central DP-FedAvg with a fixed noise multiplier: every round's privacy cost is known in advance. */
const CENTRAL = ['--dp', 'central', '--clip-norm', '0.5', '--noise-multiplier', '1.2', '--fraction', '1'];

interface Ledger {
  readonly rounds: number[];
  readonly records: RoundRecord[];
  readonly checkpoint: PrivacyCheckpoint | undefined;
}

async function ledger(db: string): Promise<Ledger> {
  const storage = SqliteStorage.open(db);
  try {
    if (!(await storage.getRun('default'))) return { rounds: [], records: [], checkpoint: undefined };
    const rounds = await storage.rounds('default');
    const latest = await storage.latestCheckpoint('default');
    return {
      rounds: rounds.map((r) => r.round),
      records: rounds.map((r) => r.record as unknown as RoundRecord),
      checkpoint: latest?.privacyLedger as PrivacyCheckpoint | undefined,
    };
  } finally {
    await storage.close();
  }
}

/** The same server config run uninterrupted in this process, on the same clients' data, committed to a database. */
async function uninterrupted(f: Federation, args: readonly string[]): Promise<Ledger> {
  const config = serverConfigFromOptions(readServerOptions(f.serverArgs(args).slice(1)));
  const clients = await Promise.all(
    f.sites.map(async (s) => ({
      descriptor: { id: s.id },
      trainer: (await strokeTrainer(s.csv, 'tabular-mlp', 0)).trainer,
    })),
  );
  const db = join(f.dir, 'reference.db');
  const storage = SqliteStorage.open(db);
  const source = SqliteStorage.open(f.db);
  const initialParams = await source.initialParams('default');
  await source.close();
  await storage.createRun({
    runId: 'default',
    name: 'reference',
    strategy: 'fedavg',
    config: {},
    initialParams,
  });
  const engine = new RoundEngine({
    pool: new InProcessPool(new RuntimeClientHost(clients)),
    strategy: createStrategy(config.strategy),
    config: config.engine,
    committer: new StorageCommitter(storage, 'default'),
    privacy: config.privacy!.policy,
  });
  await engine.run({ initialParams });
  await storage.close();
  return ledger(db);
}

const privacyOf = (records: readonly RoundRecord[]) =>
  records.map((r) => ({ round: r.round, epsilon: r.privacy?.epsilon, details: r.privacy?.details }));

describe('differential privacy in a deployment over TLS', () => {
  it('DP-FedAvg: the ledger committed with each round survives three SIGKILLs, equal to an uninterrupted run', async () => {
    const f = (federation = await prepareFederation(2, 200));
    const args = [...RUN, ...CENTRAL, '--rounds', '8', '--min-clients', '2', '--target-epsilon', '50'];
    for (const site of f.sites) f.startClient(site);
    // Kill the server as soon as it has committed at least k rounds: wherever it is in round k + 1 at that moment.
    for (const k of [1, 3, 5]) {
      const server = f.startServer(args);
      await waitFor(async () => (await ledger(f.db)).rounds.length >= k, 90_000, `${k} committed rounds`);
      server.child.kill('SIGKILL');
      await server.exited;
    }
    const last = f.startServer(args);
    expect(await last.exited, last.output).toBe(0);
    expect(last.output).toContain('"event":"resumed"');
    const deployed = await ledger(f.db);
    expect(deployed.rounds).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    const reference = await uninterrupted(f, args);
    expect(privacyOf(deployed.records)).toEqual(privacyOf(reference.records));
    const entries = (c: PrivacyCheckpoint | undefined) =>
      (c?.state as { accountant: { entries: unknown[] } } | undefined)?.accountant.entries;
    expect(deployed.checkpoint?.epsilon).toBe(reference.checkpoint?.epsilon);
    expect(entries(deployed.checkpoint)).toEqual(entries(reference.checkpoint));
    expect(entries(deployed.checkpoint)?.length).toBeGreaterThanOrEqual(8);
    expect(deployed.records.at(-1)!.privacy!.epsilon).toBeGreaterThan(deployed.records[0]!.privacy!.epsilon);

    // The run record says what was spent.
    const show = flotilla(['runs', 'show', 'default', '--db', f.db]);
    expect(await show.exited, show.output).toBe(0);
    expect(show.output).toMatch(/privacy\s+dp-fedavg: epsilon \d+\.\d{4} of 50 at delta 0\.00001/);
  }, 300_000);

  it('central DP samples from every registered client: a round waits while one of them is away', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const server = f.startServer([
      ...RUN,
      ...CENTRAL,
      '--rounds',
      '2',
      '--min-clients',
      '2',
      '--admin-token',
      'adm1n',
    ]);
    f.startClient(f.sites[0]!);
    f.startClient(f.sites[1]!);
    // Two of three registered clients are enough to start, not to sample as the accountant assumes.
    await waitFor(
      () => /"event":"waiting","connected":2,"needed":3,"round":1/.test(server.output),
      90_000,
      'the server to wait for the third registered client',
    );
    expect((await ledger(f.db)).rounds).toEqual([]);
    // The operator sees why, and what has been spent so far.
    const status = flotilla([
      'status',
      '--server',
      f.url,
      '--ca',
      join(f.tlsDir, 'ca.crt'),
      '--admin-token',
      'adm1n',
    ]);
    expect(await status.exited, status.output).toBe(0);
    expect(status.output).toContain('waiting  waiting for 1 client(s) (2 of 3 connected) before round 1');
    expect(status.output).toContain(
      'privacy  dp-fedavg: epsilon 0.0000 spent (no budget set) at delta 0.00001',
    );
    f.startClient(f.sites[2]!);
    expect(await server.exited, server.output).toBe(0);
    const { records } = await ledger(f.db);
    expect(records.map((r) => r.participants.length)).toEqual([3, 3]);
    expect(records.map((r) => r.privacy?.details['samplingRate'])).toEqual([1, 1]);
  }, 180_000);

  it('stops at the privacy budget and says so in the run record', async () => {
    const f = (federation = await prepareFederation(2, 200));
    // z = 4 is charged at 2 under fixed-size sampling: about 2.2 after one round and 7.1 after eight (`flotilla privacy epsilon`).
    const args = [...RUN, ...CENTRAL, '--noise-multiplier', '4', '--rounds', '30', '--min-clients', '2'];
    const server = f.startServer([...args, '--target-epsilon', '5']);
    for (const site of f.sites) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"budget-exhausted"');
    const { rounds, records } = await ledger(f.db);
    expect(rounds.length).toBeGreaterThan(0);
    expect(rounds.length).toBeLessThan(30);
    expect(records.at(-1)!.privacy!.epsilon).toBeLessThanOrEqual(5);
    const storage = SqliteStorage.open(f.db);
    const run = await storage.getRun('default');
    await storage.close();
    expect(run?.statusMessage).toMatch(/privacy budget exhausted/);
  }, 180_000);

  it('distributed DP under SecAgg+: each client adds its share of the noise, the record says so', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const server = f.startServer([
      ...RUN,
      ...CENTRAL,
      '--noise-on',
      'clients',
      '--rounds',
      '3',
      '--min-clients',
      '3',
      '--secure-aggregation',
      '--secure-aggregation.max-weight',
      '1000',
      '--secure-aggregation.stage-timeout',
      '30',
    ]);
    for (const site of f.sites) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    const { records } = await ledger(f.db);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.participants).toHaveLength(3);
      expect(r.privacy?.details['noiseOn']).toBe('clients');
    }
  }, 180_000);

  it('local DP: each client clips and noises its own update; the server records the worst client epsilon', async () => {
    const f = (federation = await prepareFederation(2, 200));
    const server = f.startServer([
      ...RUN,
      ...[
        '--dp',
        'local',
        '--clip-norm',
        '1',
        '--noise-multiplier',
        '2',
        '--rounds',
        '2',
        '--min-clients',
        '2',
      ],
    ]);
    for (const site of f.sites) f.startClient(site, ['--target-epsilon', '100']);
    expect(await server.exited, server.output).toBe(0);
    const { records } = await ledger(f.db);
    expect(records.map((r) => r.participants.length)).toEqual([2, 2]);
    expect(records.map((r) => r.privacy?.mechanism)).toEqual(['local-dp', 'local-dp']);
    expect(records[1]!.privacy!.epsilon).toBeGreaterThan(records[0]!.privacy!.epsilon);
    for (const site of f.sites) {
      expect(existsSync(join(f.dir, 'cache', `${site.id}.privacy-ledger.json`))).toBe(true);
    }
  }, 180_000);

  it('DP-SGD: a client refuses to train past its own budget, tells the server, and remembers it in its next run', async () => {
    const f = (federation = await prepareFederation(2, 200));
    const [frugal, generous] = f.sites;
    const dpSgd = ['--dp', 'dp-sgd', '--clip-norm', '1', '--noise-multiplier', '1.1'];
    const args = [...RUN, ...dpSgd, '--rounds', '2', '--min-clients', '2', '--min-results', '0.5'];
    // One epoch of DP-SGD on 160 rows at batch 32 (q = 0.2, 5 steps, z = 1.1) costs about 4.0, two about 5.1: a
    // budget of 4.5 covers the first round only.
    const budget = ['--target-epsilon', '4.5'];
    const refusalsOf = (records: readonly RoundRecord[]) =>
      records.map(
        (r) => r.failures.filter((x) => x.clientId === frugal!.id && /budget/.test(x.message)).length,
      );

    const first = f.startServer(args);
    const clients = [f.startClient(frugal!, budget), f.startClient(generous!)];
    expect(await first.exited, first.output).toBe(0);
    await Promise.all(clients.map((c) => c.exited));
    const run1 = await ledger(f.db);
    expect(run1.records.map((r) => [...r.participants].sort())).toEqual([
      [frugal!.id, generous!.id].sort(),
      [generous!.id],
    ]);
    expect(refusalsOf(run1.records)).toEqual([0, 1]);
    expect(existsSync(join(f.dir, 'cache', `${frugal!.id}.privacy-ledger.json`))).toBe(true);

    // A new run, new client processes: the frugal client's ledger is its own, across runs and restarts.
    const second = f.startServer([...args, '--run-id', 'second']);
    const restarted = f.startClient(frugal!, budget);
    f.startClient(generous!);
    expect(await second.exited, second.output).toBe(0);
    expect(restarted.output).toMatch(/privacy ledger: 1 release\(s\), epsilon \d/);
    const storage = SqliteStorage.open(f.db);
    const run2 = (await storage.rounds('second')).map((r) => r.record as unknown as RoundRecord);
    await storage.close();
    expect(refusalsOf(run2)).toEqual([1, 1]);
    for (const r of run2) expect(r.participants).toEqual([generous!.id]);
  }, 240_000);
});

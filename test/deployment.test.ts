/**
 * The deployment end to end: a TLS server process and client processes of the `flotilla` command on 127.0.0.1.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import { RoundEngine } from '../src/engine/index.js';
import { createStrategy } from '../src/strategy/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { InProcessPool, RuntimeClientHost } from '../src/transport/index.js';
import { flotilla, prepareFederation, waitFor, type Federation } from './support/federation.js';

let federation: Federation | undefined;
afterEach(async () => {
  await federation?.stop();
  federation = undefined;
});

const RUN = [
  '--rounds',
  '5',
  '--seed',
  '7',
  '--model-seed',
  '3',
  '--learning-rate',
  '0.1',
  '--batch-size',
  '32',
];

/** Rounds committed so far (none before the server created the run). */
async function committedRounds(db: string): Promise<number[]> {
  const storage = SqliteStorage.open(db);
  try {
    if (!(await storage.getRun('default'))) return [];
    return (await storage.rounds('default')).map((r) => r.round);
  } finally {
    await storage.close();
  }
}

describe('deployment over TLS WebSockets', () => {
  it('5 client processes complete 5 rounds, and the final model equals the simulation of the same run', async () => {
    const f = (federation = await prepareFederation(5, 300));
    const args = [...RUN, '--min-clients', '5'];
    const server = f.startServer(args);
    for (const site of f.sites) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":5');

    const storage = SqliteStorage.open(f.db);
    const initial = await storage.initialParams('default');
    const final = (await storage.latestCheckpoint('default'))!;
    const rounds = await storage.rounds('default');
    await storage.close();
    expect(final.round).toBe(5);
    expect(
      rounds.map((r) => (r.record as unknown as { participants: string[] }).participants.length),
    ).toEqual([5, 5, 5, 5, 5]);

    // The same run in simulation: same engine config, initial model, strategy, client data and trainers.
    const config = serverConfigFromOptions(readServerOptions(f.serverArgs(args).slice(1)));
    const clients = await Promise.all(
      f.sites.map(async (s) => ({
        descriptor: { id: s.id },
        trainer: (await strokeTrainer(s.csv, 'tabular-mlp', 0)).trainer,
      })),
    );
    const engine = new RoundEngine({
      pool: new InProcessPool(new RuntimeClientHost(clients)),
      strategy: createStrategy(config.strategy),
      config: config.engine,
    });
    const simulated = await engine.run({ initialParams: initial });
    // FedAvg folds results in arrival order over the network and in task order in simulation; its float64 sum of
    // float32 updates rounds to the same float32 values in practice (see the report), and here exactly.
    expect(Array.from(final.params.data)).toEqual(Array.from(simulated.params.data));
  }, 120_000);

  it('commits a round without a client killed mid-round, and takes the client back when it restarts', async () => {
    const f = (federation = await prepareFederation(3, 300));
    // Every round selects all three (min-fit-clients 3) and commits with two results: the round site-2 dies in
    // commits without it, and the next one waits until it is back.
    const server = f.startServer([
      ...RUN,
      '--rounds',
      '4',
      '--min-clients',
      '3',
      '--min-fit-clients',
      '3',
      '--min-results',
      '2',
    ]);
    // site-2 joins first and is frozen (SIGSTOP) before any round starts, so it holds round 1's task unanswered
    // until it is killed: "mid-round" is certain, whatever the machine's load.
    const victim = f.startClient(f.sites[2]!);
    await waitFor(() => victim.output.includes('connected (session'), 60_000, 'site-2 to connect');
    victim.child.kill('SIGSTOP');
    const others = f.sites.slice(0, 2).map((s) => f.startClient(s));
    await waitFor(
      () => others.every((c) => c.output.includes('round 1: fit-result')),
      60_000,
      'round 1 results of site-0 and site-1',
    );
    victim.child.kill('SIGKILL');
    await victim.exited;
    await waitFor(
      () => /"event":"waiting","connected":2,"needed":3,"round":2/.test(server.output),
      60_000,
      'round 2 to wait for site-2',
    );
    f.startClient(f.sites[2]!);
    expect(await server.exited, server.output).toBe(0);
    const storage = SqliteStorage.open(f.db);
    const rounds = await storage.rounds('default');
    await storage.close();
    expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    const records = rounds.map(
      (r) =>
        r.record as unknown as { participants: string[]; failures: { clientId: string; cause: string }[] },
    );
    expect([...records[0]!.participants].sort()).toEqual(['site-0', 'site-1']);
    expect(records[0]!.failures).toMatchObject([{ clientId: 'site-2', cause: 'disconnected' }]);
    // The restarted process is back in every later round.
    for (const r of records.slice(1))
      expect([...r.participants].sort()).toEqual(['site-0', 'site-1', 'site-2']);
  }, 120_000);

  it('waits for two of three clients killed mid-round instead of failing, and completes when they restart', async () => {
    const f = (federation = await prepareFederation(3, 300));
    const adminToken = 'waiting-admin-token';
    const server = f.startServer([
      ...RUN,
      '--rounds',
      '3',
      '--min-clients',
      '3',
      '--min-results',
      '2',
      '--retry-backoff',
      '0.2',
      '--admin-token',
      adminToken,
    ]);
    // Two clients join and freeze before round 1, then die holding its tasks: the attempt falls short (1 of 2).
    const victims = f.sites.slice(1).map((s) => f.startClient(s));
    await waitFor(
      () => victims.every((v) => v.output.includes('connected (session')),
      60_000,
      'site-1 and site-2 to connect',
    );
    for (const v of victims) v.child.kill('SIGSTOP');
    const survivor = f.startClient(f.sites[0]!);
    await waitFor(() => survivor.output.includes('round 1: fit-result'), 60_000, 'round 1 at site-0');
    for (const v of victims) v.child.kill('SIGKILL');
    await Promise.all(victims.map((v) => v.exited));
    await waitFor(
      () => /"event":"waiting","connected":1,"needed":2,"round":1/.test(server.output),
      60_000,
      'round 1 to wait for clients',
    );
    expect(server.output).toMatch(/"event":"retrying","round":1,"reason":"1 of 3 client\(s\) returned/);
    // The operator sees what the run waits for.
    const status = flotilla([
      'status',
      '--server',
      `https://127.0.0.1:${f.port}`,
      '--admin-token',
      adminToken,
      '--ca',
      join(f.tlsDir, 'ca.crt'),
    ]);
    expect(await status.exited, status.output).toBe(0);
    expect(status.output).toContain('run      default: waiting, round 0/3 committed');
    expect(status.output).toContain('waiting  waiting for 1 client(s) (1 of 2 connected) before round 1');
    for (const site of f.sites.slice(1)) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":3');
    const storage = SqliteStorage.open(f.db);
    const rounds = await storage.rounds('default');
    await storage.close();
    expect(rounds.map((r) => [r.round, (r.record as unknown as { attempts: number }).attempts])).toEqual([
      [1, 2],
      [2, 1],
      [3, 1],
    ]);
  }, 120_000);

  it('resumes after the server is SIGKILLed mid-run: no committed round lost or repeated', async () => {
    const f = (federation = await prepareFederation(2, 300));
    const args = [...RUN, '--rounds', '8', '--min-clients', '2'];
    const first = f.startServer(args);
    for (const site of f.sites) f.startClient(site);
    await waitFor(async () => (await committedRounds(f.db)).length >= 3, 60_000, 'three rounds');
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAfter = (await committedRounds(f.db)).length;
    const second = f.startServer(args);
    expect(await second.exited, second.output).toBe(0);
    expect(second.output).toContain(`"event":"resumed","runId":"default","fromRound":${killedAfter + 1}`);
    expect(await committedRounds(f.db)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it('runs a simulate config file unchanged: its dataset fixes the input, its simulated split is ignored in one line', async () => {
    const f = (federation = await prepareFederation(1, 300));
    const config = new URL('../examples/hospitals/config.yaml', import.meta.url).pathname;
    // No --input-size: the config's dataset gives it.
    const server = flotilla([
      'server',
      '--config',
      config,
      '--port',
      String(f.port),
      '--db',
      f.db,
      '--tls-dir',
      f.tlsDir,
      '--rounds',
      '1',
    ]);
    f.procs.push(server);
    f.startClient(f.sites[0]!);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":1');
    const ignored = server.output.split('\n').filter((l) => l.includes('"event":"ignored-settings"'));
    expect(ignored).toHaveLength(1);
    expect(JSON.parse(ignored[0]!).keys).toEqual([
      'cohorts',
      'testFraction',
      'partition',
      'partitionAttribute',
      'clients',
      'compare',
    ]);
    // The stroke dataset gave the model its 21 inputs (no --input-size here), and testFraction > 0 turned on
    // federated evaluation as it does in the simulation.
    const storage = SqliteStorage.open(f.db);
    const initial = await storage.initialParams('default');
    const rounds = await storage.rounds('default');
    await storage.close();
    expect(initial!.layout.specs[0]!.shape[0]).toBe(21);
    expect(rounds[0]!.record).toHaveProperty('federatedEvaluation');
  }, 120_000);
});

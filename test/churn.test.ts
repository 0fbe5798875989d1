/**
 * Clients that come and go: a TLS server process and ten client processes of the `flotilla` command, three of them
 * SIGKILLed at random in every round and started again once the server says it waits for them. Every round must
 * commit exactly once. Driven by the server's log and its database, never by elapsed time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Rng } from '../src/core/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { prepareFederation, waitFor, type Federation, type Proc } from './support/federation.js';

let federation: Federation | undefined;
afterEach(async () => {
  await federation?.stop();
  federation = undefined;
});

async function committedRounds(db: string): Promise<number[]> {
  const storage = SqliteStorage.open(db);
  try {
    if (!(await storage.getRun('default'))) return [];
    return (await storage.rounds('default')).map((r) => r.round);
  } finally {
    await storage.close();
  }
}

/** Rounds the server has said it waits for clients in (its log's "waiting" lines that name a round). */
function waits(server: Proc): number {
  return [...server.output.matchAll(/"event":"waiting","connected":\d+,"needed":\d+,"round":\d+/g)].length;
}

describe('clients killed and restarted in every round', () => {
  it('10 clients, 3 SIGKILLed at random each round: every round commits exactly once', async () => {
    const f = (federation = await prepareFederation(10, 60));
    const ROUNDS = 3;
    // Eight results per round: with three clients dead no round can commit until they are back.
    const server = f.startServer([
      '--rounds',
      String(ROUNDS),
      '--seed',
      '5',
      '--min-clients',
      '10',
      '--min-results',
      '8',
      '--retry-backoff',
      '0.2',
      '--retry-backoff-max',
      '1',
    ]);
    const procs = new Map(f.sites.map((s) => [s.id, f.startClient(s, ['--quiet'])]));
    await waitFor(
      () => server.output.split('"event":"connected"').length > 10,
      90_000,
      'the ten clients to connect',
    );
    const rng = new Rng(2026);
    let waited = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      await waitFor(
        async () => server.child.exitCode !== null || (await committedRounds(f.db)).length >= round - 1,
        90_000,
        `round ${round - 1} to commit`,
      );
      if (server.child.exitCode !== null) break;
      const before = waits(server);
      const victims = rng.sample(f.sites, 3);
      // Frozen first, all at once, so none of them answers a task while the others are being killed.
      for (const v of victims) procs.get(v.id)!.child.kill('SIGSTOP');
      for (const v of victims) procs.get(v.id)!.child.kill('SIGKILL');
      await Promise.all(victims.map((v) => procs.get(v.id)!.exited));
      await waitFor(
        () => server.child.exitCode !== null || waits(server) > before,
        90_000,
        `the server to wait for clients after round ${round - 1}`,
      );
      if (waits(server) > before) waited++;
      for (const v of victims) procs.set(v.id, f.startClient(v, ['--quiet']));
    }
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${ROUNDS}`);
    expect(await committedRounds(f.db)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    // Without waiting, the first kill would have spent the retries at once and failed the run.
    expect(waited).toBeGreaterThanOrEqual(1);
  }, 180_000);
});

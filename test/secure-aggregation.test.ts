/**
 * SecAgg+ secure aggregation end to end: a TLS server process and `flotilla client` processes on 127.0.0.1, with the
 * protocol's stages (keys, shares, masked inputs, unmasking) travelling as stage tasks over the real WebSockets.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import type { ParameterSet, Trainer } from '../src/core/index.js';
import { RoundEngine, type RoundRecord } from '../src/engine/index.js';
import { createStrategy } from '../src/strategy/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { InProcessPool, RuntimeClientHost } from '../src/transport/index.js';
import { flotilla, prepareFederation, waitFor, type Federation, type Site } from './support/federation.js';

let federation: Federation | undefined;
afterEach(async () => {
  await federation?.stop();
  federation = undefined;
});

const ROUNDS = 3;
const BITS = 16;
/** The protocol's default clipping range, which the test checks covers every update coordinate. */
const CLIPPING_RANGE = 1;
/** Above any client's example count (200 rows, of which the training split), so no weight is capped. */
const MAX_WEIGHT = 1000;

const PLAIN = [
  '--rounds',
  String(ROUNDS),
  '--seed',
  '7',
  '--model-seed',
  '3',
  '--learning-rate',
  '0.05',
  '--batch-size',
  '32',
  '--min-clients',
  '3',
];
const SECURE = [
  '--secure-aggregation',
  '--secure-aggregation.quantization-bits',
  String(BITS),
  '--secure-aggregation.max-weight',
  String(MAX_WEIGHT),
  '--secure-aggregation.stage-timeout',
  '20',
];

interface Stored {
  readonly initial: ParameterSet;
  readonly final: ParameterSet;
  readonly lastRound: number;
  readonly records: RoundRecord[];
}

async function stored(db: string): Promise<Stored> {
  const storage = SqliteStorage.open(db);
  try {
    const initial = await storage.initialParams('default');
    const latest = (await storage.latestCheckpoint('default'))!;
    const rounds = await storage.rounds('default');
    return {
      initial: initial!,
      final: latest.params,
      lastRound: latest.round,
      records: rounds.map((r) => r.record as unknown as RoundRecord),
    };
  } finally {
    await storage.close();
  }
}

/** Wraps a trainer to record the largest |trained - global| coordinate it ever produced. */
function measured(trainer: Trainer, largest: { value: number }): Trainer {
  return {
    ...trainer,
    fit: async (params, config, extras) => {
      const global = params.clone();
      const out = await trainer.fit(params, config, extras);
      const a = out.params.data;
      const b = global.data;
      for (let i = 0; i < a.length; i++) largest.value = Math.max(largest.value, Math.abs(a[i]! - b[i]!));
      return out;
    },
    evaluate: (params, config) => trainer.evaluate(params, config),
  };
}

/** The same run in-process (engine config, initial model, strategy, client data and trainers as the server's). */
async function simulate(
  f: Federation,
  args: readonly string[],
  initial: ParameterSet,
  largest: { value: number },
) {
  const config = serverConfigFromOptions(readServerOptions(f.serverArgs(args).slice(1)));
  const clients = await Promise.all(
    f.sites.map(async (s: Site) => ({
      descriptor: { id: s.id },
      trainer: measured((await strokeTrainer(s.csv, 'tabular-mlp', 0)).trainer, largest),
    })),
  );
  const engine = new RoundEngine({
    pool: new InProcessPool(new RuntimeClientHost(clients)),
    strategy: createStrategy(config.strategy),
    config: config.engine,
  });
  return engine.run({ initialParams: initial.clone() });
}

describe('secure aggregation over TLS WebSockets', () => {
  it('3 client processes complete a SecAgg+ run whose model matches the plain run within quantization', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const args = [...PLAIN, ...SECURE];
    const server = f.startServer(args);
    for (const site of f.sites) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${ROUNDS}`);

    const run = await stored(f.db);
    expect(run.lastRound).toBe(ROUNDS);
    expect(run.records.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const record of run.records) {
      expect([...record.participants].sort()).toEqual(['site-0', 'site-1', 'site-2']);
      expect(record.failures).toEqual([]);
      // Every client's weight is its example count: the total (an upper bound of each) is below maxWeight.
      expect(record.train.numExamples).toBeLessThanOrEqual(MAX_WEIGHT);
    }

    // The plain run, simulated: its updates stay inside the clipping range, so only quantization separates them.
    const largest = { value: 0 };
    const plain = await simulate(f, PLAIN, run.initial, largest);
    expect(plain.status).toBe('completed');
    expect(largest.value).toBeGreaterThan(0);
    expect(largest.value).toBeLessThan(CLIPPING_RANGE);
    const step = (2 * CLIPPING_RANGE) / (2 ** BITS - 1);
    const a = run.final.data;
    const b = plain.params.data;
    expect(a.length).toBe(b.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(ROUNDS * step);

    // Keys and shares travel too: each round moved more bytes than the plain round.
    for (let r = 0; r < ROUNDS; r++) {
      const secure = run.records[r]!;
      const clear = plain.history[r]!;
      expect(secure.bytesSent).toBeGreaterThan(clear.bytesSent);
      expect(secure.bytesReceived).toBeGreaterThan(clear.bytesReceived);
    }

    // Masks cancel and the secure sum is integer arithmetic: the in-process secure run lands on the same model.
    const secureSim = await simulate(f, args, run.initial, { value: 0 });
    expect(Array.from(run.final.data)).toEqual(Array.from(secureSim.params.data));
  }, 60_000);

  it('a client SIGKILLed mid-run is a dropout: the run completes all its rounds with the two others', async () => {
    const f = (federation = await prepareFederation(3, 200));
    // Rounds take ~100 ms here: the run is still far from its end when the kill lands in round 2.
    const rounds = 20;
    const server = f.startServer([
      ...PLAIN,
      '--rounds',
      String(rounds),
      '--min-results',
      '2',
      ...SECURE,
      '--secure-aggregation.stage-timeout',
      '5',
    ]);
    const clients = f.sites.map((s) => f.startClient(s));
    // Killed right after it answered a round-2 task: mid-protocol (between SecAgg+ stages) or between rounds.
    await waitFor(() => clients[2]!.output.includes('round 2: stage-result'), 45_000, 'round 2 at site-2');
    clients[2]!.child.kill('SIGKILL');
    await clients[2]!.exited;
    expect(server.child.exitCode, server.output).toBeNull();
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${rounds}`);

    const run = await stored(f.db);
    expect(run.records.map((r) => r.round)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    for (const record of run.records) {
      expect(record.participants).toContain('site-0');
      expect(record.participants).toContain('site-1');
    }
    // Rounds 1 and 2 ran before the kill with all three; the last round ran long after it, without site-2.
    expect(run.records[0]!.participants).toHaveLength(3);
    expect([...run.records[rounds - 1]!.participants].sort()).toEqual(['site-0', 'site-1']);
    expect(run.records.some((r) => !r.participants.includes('site-2'))).toBe(true);
    // The surviving clients saw the run through to its end.
    expect(clients[0]!.output).toContain(`round ${rounds}: stage-result`);
    expect(clients[1]!.output).toContain(`round ${rounds}: stage-result`);
  }, 60_000);

  it('refuses to start a strategy that needs each client update (krum) under secure aggregation', async () => {
    const f = (federation = await prepareFederation(1, 20));
    const server = f.startServer(['--strategy', 'krum', '--byzantine', '1', '--secure-aggregation']);
    const code = await server.exited;
    expect(code, server.output).not.toBe(0);
    expect(code).not.toBeNull();
    expect(server.output).toMatch(/strategy "krum" needs each client's update/);
    expect(server.output).toMatch(/secure aggregation gives the server only their sum/);
    expect(server.output).not.toContain('"event":"listening"');
  }, 30_000);

  it('CKKS over TLS: clients share a key made on their side, the keyless server adds ciphertexts', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const keyFile = join(f.dir, 'clients.he');
    const keygen = flotilla(['he', 'keygen', '--out', keyFile]);
    expect(await keygen.exited, keygen.output).toBe(0);
    const args = [...PLAIN, '--homomorphic-aggregation', '--homomorphic-aggregation.stage-timeout', '20'];
    // The key file goes to the clients only: nothing in the server's command line or config names it.
    expect(f.serverArgs(args).join(' ')).not.toContain('.he');
    const server = f.startServer(args);
    for (const site of f.sites) f.startClient(site, ['--he-keys', keyFile]);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${ROUNDS}`);

    const run = await stored(f.db);
    for (const record of run.records) {
      expect([...record.participants].sort()).toEqual(['site-0', 'site-1', 'site-2']);
    }
    const plain = await simulate(f, PLAIN, run.initial, { value: 0 });
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < plain.params.size; i++) {
      worst = Math.max(worst, Math.abs(run.final.data[i]! - plain.params.data[i]!));
      scale = Math.max(scale, Math.abs(plain.params.data[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-6);
    // Ciphertexts: each client's upload is many times its float32 update.
    expect(run.records[0]!.bytesReceived).toBeGreaterThan(10 * plain.history[0]!.bytesReceived);
  }, 60_000);

  it('signed rounds over TLS: each client verifies its neighbours against the roster from keygen', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const roster = join(f.dir, 'roster.json');
    for (const site of f.sites) {
      const made = flotilla([
        'identity',
        'keygen',
        '--id',
        site.id,
        '--out',
        join(f.dir, `${site.id}.id`),
        '--roster',
        roster,
      ]);
      expect(await made.exited, made.output).toBe(0);
    }
    const server = f.startServer([...PLAIN, ...SECURE, '--secure-aggregation.signed']);
    for (const site of f.sites) {
      f.startClient(site, ['--identity', join(f.dir, `${site.id}.id`), '--roster', roster]);
    }
    expect(await server.exited, server.output).toBe(0);
    const run = await stored(f.db);
    expect(run.lastRound).toBe(ROUNDS);
    for (const record of run.records) expect(record.failures).toEqual([]);
  }, 60_000);
});

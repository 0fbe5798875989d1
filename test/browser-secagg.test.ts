/**
 * SecAgg+ with browser clients, in real Chromium: a TLS `flotilla server` process, three participant pages and one
 * `flotilla client` process train the stroke task under secure aggregation. One page is closed during the masking
 * stage of a round (after it sent its key shares, before it sent its masked input); the server recovers it as a
 * dropout (the survivors reveal its pairwise masks) and every round commits. Each committed global model equals
 * the plain FedAvg round of the same participants, recomputed in this process from the previous checkpoint with
 * Node trainers on the same files and data seeds, within one quantization step.
 *
 * "During the masking stage" is made certain, not timed: the Node client is stopped (SIGSTOP) right after its round
 * opening while the pages are still training, so the stage that collects key shares cannot close; the page is
 * closed once it sent its shares, and only then is the Node client resumed.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import type { Trainer } from '../src/core/index.js';
import { generateStrokeCohort, writeStrokeCsv } from '../src/data/index.js';
import { RoundEngine, type RoundRecord } from '../src/engine/index.js';
import { createStrategy } from '../src/strategy/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { InProcessPool, RuntimeClientHost } from '../src/transport/index.js';
import { launchChromium, type Participant } from './support/chromium.js';
import { flotilla, prepareFederation, waitFor, type Federation, type Proc } from './support/federation.js';
import { joinAsParticipant, requireBuiltPage, runToEnd, waitFinished } from './support/participants.js';

const ROUNDS = 5;
const BITS = 16;
/** The protocol's default clipping range; the test checks every update coordinate stays inside it. */
const CLIPPING_RANGE = 1;

let federation: Federation | undefined;
let browser: Browser | undefined;
beforeAll(() => requireBuiltPage());
afterAll(async () => {
  await browser?.close();
  await federation?.stop();
});

function serverArgs(f: Federation, secure: boolean): string[] {
  return [
    ...['server', '--port', String(f.port), '--db', f.db, '--tls-dir', f.tlsDir],
    ...['--input-size', '21', '--model', 'tabular-mlp', '--rounds', String(ROUNDS)],
    ...['--seed', '7', '--model-seed', '3', '--learning-rate', '0.02', '--batch-size', '16'],
    ...['--min-clients', '4', '--min-results', '3', '--evaluate-every', '0'],
    ...(secure
      ? [
          '--secure-aggregation',
          ...['--secure-aggregation.quantization-bits', String(BITS)],
          ...['--secure-aggregation.max-weight', '1000'],
          ...['--secure-aggregation.stage-timeout', '60'],
        ]
      : []),
  ];
}

/** Resolves as soon as `proc` has written `text` (reacting to the write, not polling). */
function whenOutput(proc: Proc, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!proc.output.includes(text)) return;
      proc.child.stderr!.off('data', check);
      resolve();
    };
    proc.child.stderr!.on('data', check);
    check();
  });
}

const sentStage = (p: Participant, round: number, stage: number) =>
  p.traffic.frameFields().some((f) => f['round'] === round && f['stage'] === stage);

/**
 * Stops the Node client right after its opening (stage 0) of a round in which no page has opened yet: the stage
 * collecting key shares then waits for it. Tries rounds 2, 3, ... until the order holds; returns the round.
 */
async function stopNodeBeforeShares(node: Proc, pages: readonly Participant[]): Promise<number> {
  for (let round = 2; round < ROUNDS; round++) {
    await whenOutput(node, `round ${round}: stage-result`);
    node.child.kill('SIGSTOP');
    if (!pages.some((p) => sentStage(p, round, 0))) return round;
    node.child.kill('SIGCONT');
  }
  throw new Error(`the Node client never opened a round before the pages did`);
}

/** Wraps a trainer to record the largest |trained - global| coordinate it ever produced. */
function measured(trainer: Trainer, largest: { value: number }): Trainer {
  return {
    ...trainer,
    fit: async (params, config, extras) => {
      const out = await trainer.fit(params.clone(), config, extras);
      for (let i = 0; i < params.data.length; i++) {
        largest.value = Math.max(largest.value, Math.abs(out.params.data[i]! - params.data[i]!));
      }
      return out;
    },
    evaluate: (params, config) => trainer.evaluate(params, config),
  };
}

describe('secure aggregation with browser clients', () => {
  it('a page closed during the masking stage is recovered as a dropout; every round equals the plain round within quantization', async () => {
    const f = (federation = await prepareFederation(4, 600));
    // The Node client's data is small, so it opens each round well before the pages finish training.
    const nodeCsv = join(f.dir, 'node-site.csv');
    await writeStrokeCsv(nodeCsv, generateStrokeCohort({ size: 40, seed: 500, profile: 'general' }));
    const files = [f.sites[0]!.csv, f.sites[1]!.csv, f.sites[2]!.csv, nodeCsv];
    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const server = flotilla(serverArgs(f, true));
    f.procs.push(server);
    await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');
    const origin = `https://127.0.0.1:${f.port}`;
    const pages = await Promise.all(
      [0, 1, 2].map((i) =>
        joinAsParticipant(browser!, {
          origin,
          clientId: f.sites[i]!.id,
          token: f.sites[i]!.token,
          files: [files[i]!],
          dataSeed: i,
        }),
      ),
    );
    const node = f.startClient({ ...f.sites[3]!, csv: nodeCsv }, ['--data-seed', '3']);
    const victim = pages[1]!;
    const victimId = f.sites[1]!.id;

    const round = await stopNodeBeforeShares(node, pages);
    await victim.traffic.waitForFrame((x) => x['round'] === round && x['stage'] === 1);
    // Shares sent; the masked input cannot have been asked for while the Node client's shares are missing.
    expect(sentStage(victim, round, 2)).toBe(false);
    await victim.page.close();
    node.child.kill('SIGCONT');

    expect(await runToEnd(server, pages), server.output).toBe(0);
    expect(server.output).toContain(`"status":"completed","lastRound":${ROUNDS}`);
    for (const p of pages) if (p !== victim) await waitFinished(p);
    expect(await node.exited, node.output).toBe(0);
    // The victim took part in the round's key agreement and share exchange, and sent no masked input.
    const victimStages = victim.traffic
      .frameFields()
      .filter((x) => x['round'] === round && typeof x['stage'] === 'number')
      .map((x) => x['stage']);
    expect(victimStages).toEqual([0, 1]);

    const storage = SqliteStorage.open(f.db);
    const records = (await storage.rounds('default')).map((r) => r.record as unknown as RoundRecord);
    const checkpoints = [await storage.initialParams('default')];
    for (let r = 1; r <= ROUNDS; r++) checkpoints.push((await storage.checkpoint('default', r))!.params);
    await storage.close();
    expect(records.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
    const everyone = f.sites.map((s) => s.id).sort();
    for (const record of records) {
      const expected = record.round < round ? everyone : everyone.filter((id) => id !== victimId);
      expect([...record.participants].sort()).toEqual(expected);
    }
    expect(records[round - 1]!.failures.map((x) => x.clientId)).toContain(victimId);

    // Each committed model against the plain FedAvg round of the same participants from the same checkpoint.
    const config = serverConfigFromOptions(readServerOptions(serverArgs(f, false).slice(1)));
    const largest = { value: 0 };
    const trainers = await Promise.all(
      files.map(async (csv, i) => measured((await strokeTrainer(csv, 'tabular-mlp', i)).trainer, largest)),
    );
    const step = (2 * CLIPPING_RANGE) / (2 ** BITS - 1);
    for (const record of records) {
      const clients = f.sites
        .map((s, i) => ({ descriptor: { id: s.id }, trainer: trainers[i]! }))
        .filter((c) => record.participants.includes(c.descriptor.id));
      const engine = new RoundEngine({
        pool: new InProcessPool(new RuntimeClientHost(clients)),
        strategy: createStrategy(config.strategy),
        config: { ...config.engine, rounds: record.round },
      });
      const plain = await engine.run({
        initialParams: checkpoints[record.round - 1]!.clone(),
        startRound: record.round,
      });
      expect(plain.status).toBe('completed');
      const secure = checkpoints[record.round]!.data;
      let worst = 0;
      for (let i = 0; i < secure.length; i++) {
        worst = Math.max(worst, Math.abs(secure[i]! - plain.params.data[i]!));
      }
      // Stochastic rounding moves each coordinate of each update by less than a step, so their weighted mean too;
      // 1e-6 covers float32 rounding of the sums.
      expect(worst, `round ${record.round}`).toBeLessThanOrEqual(step + 1e-6);
    }
    // No update was clipped: quantization is all that separates the two.
    expect(largest.value).toBeGreaterThan(0);
    expect(largest.value).toBeLessThan(CLIPPING_RANGE);
  }, 240_000);
});

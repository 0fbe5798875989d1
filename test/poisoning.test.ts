/**
 * Issue 10 end to end: a real TLS server (startServer on a free port) with three honest clients (the client runtime
 * over real WebSockets, training on stroke cohorts) and two authenticated hand-driven peers that answer every fit
 * task with poison: one sends 3e38 in every coordinate, the other claims 2^53 - 1 examples. The server keeps
 * running, every committed round holds finite parameters and the honest clients' run completes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import { ClientRuntime, runWithReconnect } from '../src/client/index.js';
import { nodeWebSocketFactory } from '../src/client/node/index.js';
import { ParameterSet } from '../src/core/index.js';
import type { RoundRecord } from '../src/engine/index.js';
import { decodeControl, decodeMessage, encodeControl, encodeMessage } from '../src/protocol/index.js';
import { startServer, type RunningServer } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { prepareFederation, type Federation } from './support/federation.js';
import { helloFrame } from './support/raw-peer.js';

let federation: Federation | undefined;
let server: RunningServer | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = undefined;
  await federation?.stop();
  federation = undefined;
});

type Poison = (params: ParameterSet) => { update: ParameterSet; numExamples: number };

/**
 * An authenticated peer that runs no trainer: it answers every fit task with `poison` of the global parameters it
 * was sent, and keeps its connection alive (pongs) until the server ends the run.
 */
async function poisoner(url: string, ca: Buffer, clientId: string, token: string, poison: Poison) {
  const socket = new WebSocket(url, { ca });
  sockets.push(socket);
  let answered = 0;
  socket.on('message', (data: Buffer) => {
    const bytes = new Uint8Array(data);
    let control;
    try {
      control = decodeControl(bytes);
    } catch {
      control = undefined;
    }
    if (control?.type === 'ping') socket.send(encodeControl({ type: 'pong', seq: control.seq }));
    if (control) return;
    const task = decodeMessage(bytes);
    if (task.type !== 'fit-task') return;
    const { update, numExamples } = poison(task.params);
    answered += 1;
    socket.send(
      encodeMessage({
        type: 'fit-result',
        round: task.round,
        taskId: task.taskId,
        numExamples,
        localSteps: 1,
        metrics: {},
        update,
      }),
    );
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(helloFrame(clientId, token));
  return { answered: () => answered };
}

describe('a poisoning client against the real server', () => {
  it('is refused each round; the server keeps running and commits finite models', async () => {
    const f = (federation = await prepareFederation(3, 200));
    const storage = SqliteStorage.open(f.db);
    const tokens = {
      poison: (await storage.addClient('poison')).token,
      liar: (await storage.addClient('liar')).token,
    };
    await storage.close();
    const rounds = 3;
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      dbPath: f.db,
      tls: {
        cert: join(f.tlsDir, 'server.crt'),
        key: join(f.tlsDir, 'server.key'),
        requireClientCert: false,
      },
      runId: 'default',
      model: { name: 'tabular-mlp', inputShape: [21], numClasses: 2, seed: 3 },
      strategy: 'fedavg',
      engine: { rounds, seed: 7, learningRate: 0.1, batchSize: 32 },
      // Every round selects all five: the poisoners take part in each.
      minClients: 5,
    });
    const ca = readFileSync(join(f.tlsDir, 'ca.crt'));
    const fill = (params: ParameterSet, value: number) =>
      new ParameterSet(params.layout, new Float32Array(params.size).fill(value));
    const poison = await poisoner(server.url, ca, 'poison', tokens.poison, (p) => ({
      update: fill(p, 3e38),
      numExamples: 150,
    }));
    const liar = await poisoner(server.url, ca, 'liar', tokens.liar, (p) => ({
      update: fill(p, 0.5),
      numExamples: Number.MAX_SAFE_INTEGER,
    }));

    const honest = Promise.all(
      f.sites.map(async (site) => {
        const { trainer } = await strokeTrainer(site.csv, 'tabular-mlp', 0);
        return runWithReconnect({
          url: server!.url,
          clientId: site.id,
          token: site.token,
          runtime: new ClientRuntime(trainer),
          connect: nodeWebSocketFactory({ caFile: join(f.tlsDir, 'ca.crt') }),
          capabilities: { runtime: 'test' },
          maxDelayMs: 1000,
        });
      }),
    );
    // A failed run rejects here at once (before the fix: STRATEGY_FAILED once the model overflowed).
    const result = await server.finished;
    expect(await honest).toEqual(['finished', 'finished', 'finished']);
    expect(result.status).toBe('completed');
    expect(result.lastRound).toBe(rounds);
    expect(poison.answered()).toBe(rounds);
    expect(liar.answered()).toBe(rounds);

    const stored = server.storage;
    expect((await stored.getRun('default'))!.status).toBe('completed');
    for (const round of await stored.checkpointRounds('default')) {
      expect((await stored.checkpoint('default', round))!.params.firstNonFinite()).toBe(-1);
    }
    const records = (await stored.rounds('default')).map((r) => r.record as unknown as RoundRecord);
    expect(records.map((r) => r.round)).toEqual([1, 2, 3]);
    for (const record of records) {
      expect([...record.participants].sort()).toEqual(['site-0', 'site-1', 'site-2']);
      const causes = Object.fromEntries(record.failures.map((x) => [x.clientId, x.message]));
      expect(causes['poison']).toMatch(/more than maxUpdateNorm/);
      expect(causes['liar']).toMatch(/claimed 9007199254740991 examples, more than maxExamplesPerClient/);
    }
    // The model moved by honest training only: nowhere near the poison.
    const initial = await stored.initialParams('default');
    let largest = 0;
    for (let i = 0; i < initial.size; i++) {
      largest = Math.max(largest, Math.abs(result.params.data[i]! - initial.data[i]!));
    }
    expect(largest).toBeLessThan(1);
  }, 120_000);
});

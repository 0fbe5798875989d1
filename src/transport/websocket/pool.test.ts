import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ParameterSet, type FitConfig, type Trainer } from '../../core/index.js';
import { ClientConnection, ClientRuntime, type WebSocketLike } from '../../client/index.js';
import type { TaskEnvelope, TaskOutcome } from '../../engine/pool.js';
import { PROTOCOL_VERSION, decodeMessage, encodeControl, encodeMessage } from '../../protocol/index.js';
import { helloFrame as hello, rawPeer } from '../../../test/support/raw-peer.js';
import { WebSocketClientPool, type Authenticator, type SessionLimits } from './index.js';

const TOKENS: Record<string, string> = { a: 'ta', b: 'tb', c: 'tc' };
const authenticator: Authenticator = {
  authenticate: ({ clientId, token }) =>
    TOKENS[clientId] === token ? { ok: true } : { ok: false, reason: `bad credential for "${clientId}"` },
};

/** A trainer that adds `step` to every parameter after `delayMs`. */
function addingTrainer(step: number, delayMs = 0): Trainer {
  return {
    async fit(params) {
      await new Promise((r) => setTimeout(r, delayMs));
      const out = params.clone();
      for (let i = 0; i < out.data.length; i++) out.data[i]! += step;
      return { params: out, numExamples: 10, localSteps: 1, metrics: {} };
    },
    async evaluate() {
      return { loss: 0, numExamples: 10, metrics: {} };
    },
  };
}

const global = ParameterSet.fromTensors([{ name: 'w', shape: [2000], values: new Float32Array(2000) }]);
const config = (round: number): FitConfig => ({
  round,
  seed: 1,
  localEpochs: 1,
  batchSize: 8,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
});

function task(clientId: string, round: number, i: number): TaskEnvelope {
  const taskId = `${round}.1.${i}`;
  return {
    clientId,
    taskId,
    frame: encodeMessage({ type: 'fit-task', round, taskId, config: config(round), params: global }),
  };
}

async function collect(outcomes: AsyncIterable<TaskOutcome>): Promise<TaskOutcome[]> {
  const all: TaskOutcome[] = [];
  for await (const o of outcomes) all.push(o);
  return all;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function startPool(limits: Partial<SessionLimits> = {}) {
  const pool = new WebSocketClientPool({ authenticator, limits: { heartbeatMs: 200, ...limits } });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: pool.limits.maxFrameBytes });
  wss.on('connection', (socket, req) => pool.accept(socket, { remoteAddress: req.socket.remoteAddress! }));
  await new Promise((r) => wss.once('listening', r));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  const refused: string[] = [];
  pool.events.on('refused', (e) => refused.push(e.code));
  cleanup.push(async () => {
    await pool.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  return { pool, url, refused };
}

function connect(url: string, clientId: string, trainer: Trainer, token = TOKENS[clientId]!) {
  const connection = new ClientConnection({
    url,
    clientId,
    token,
    runtime: new ClientRuntime(trainer),
    connect: (u) => new WebSocket(u) as unknown as WebSocketLike,
    capabilities: { maxFrameBytes: 4096 },
  });
  cleanup.push(async () => {
    connection.close();
    await connection.done;
  });
  return connection;
}

describe('WebSocketClientPool', () => {
  it('serves authenticated clients, chunks large frames both ways, and yields outcomes in arrival order', async () => {
    const { pool, url } = await startPool({ maxFrameBytes: 4096 });
    connect(url, 'a', addingTrainer(1, 150));
    connect(url, 'b', addingTrainer(2, 0));
    await pool.waitForClients(2);
    expect(
      pool
        .available()
        .map((c) => c.id)
        .sort(),
    ).toEqual(['a', 'b']);
    const outcomes = await collect(
      pool.dispatch([task('a', 1, 0), task('b', 1, 1)], { deadline: Date.now() + 5000 }),
    );
    expect(outcomes.map((o) => [o.clientId, o.kind])).toEqual([
      ['b', 'reply'],
      ['a', 'reply'],
    ]);
    const reply = decodeMessage((outcomes[0] as { frame: Uint8Array }).frame);
    expect(reply.type === 'fit-result' && reply.update.data.every((v) => v === 2)).toBe(true);
  });

  it('fails a task whose reply misses the deadline, drops the late reply, and keeps the client', async () => {
    const { pool, url, refused } = await startPool();
    connect(url, 'a', addingTrainer(1, 300));
    await pool.waitForClients(1);
    const [late] = await collect(pool.dispatch([task('a', 1, 0)], { deadline: Date.now() + 100 }));
    expect(late).toMatchObject({ kind: 'failed', cause: 'deadline' });
    await new Promise((r) => setTimeout(r, 400));
    expect(refused).toEqual([]);
    const [next] = await collect(pool.dispatch([task('a', 2, 0)], { deadline: Date.now() + 2000 }));
    expect(next?.kind).toBe('reply');
  });

  it('reports a disconnect mid-task and an unknown client', async () => {
    const { pool, url } = await startPool();
    const a = connect(url, 'a', addingTrainer(1, 2000));
    await pool.waitForClients(1);
    const running = collect(
      pool.dispatch([task('a', 1, 0), task('zed', 1, 1)], { deadline: Date.now() + 5000 }),
    );
    setTimeout(() => a.close(), 100);
    const outcomes = await running;
    expect(outcomes.map((o) => (o.kind === 'failed' ? o.cause : o.kind)).sort()).toEqual([
      'disconnected',
      'unavailable',
    ]);
  });

  it('stops sending to a client that stopped reading', async () => {
    const { pool, url } = await startPool({ maxBufferedBytes: 256 * 1024 });
    const socket = new WebSocket(url);
    cleanup.push(async () => socket.terminate());
    await new Promise((r) => socket.once('open', r));
    const welcomed = new Promise((r) => socket.once('message', r));
    socket.send(hello('a', 'ta'));
    await welcomed;
    // The client's TCP socket stops reading: the server's kernel buffers fill, then its send queue grows.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    let cause: string | undefined;
    for (let round = 1; round <= 2000 && cause === undefined; round++) {
      const [outcome] = await collect(pool.dispatch([task('a', round, 0)], { deadline: Date.now() + 1 }));
      if (outcome?.kind === 'failed' && outcome.cause !== 'deadline') cause = outcome.cause;
    }
    expect(cause).toBe('backpressure');
    expect(pool.connected()[0]!.bufferedBytes).toBeLessThan(256 * 1024 + 16 * 1024);
  });

  it('refuses bad peers with a typed refusal and a closed connection, and still serves honest clients', async () => {
    const { pool, url, refused } = await startPool({ maxFrameBytes: 64 * 1024 });
    const fitResult = (taskId: string) =>
      encodeMessage({
        type: 'fit-result',
        round: 1,
        taskId,
        numExamples: 1,
        localSteps: 1,
        metrics: {},
        update: global,
      });
    const cases: [string, (Uint8Array | string)[], string][] = [
      ['no credential', [hello('a', '')], 'AUTH_FAILED'],
      ['wrong credential', [hello('a', 'tb')], 'AUTH_FAILED'],
      ['unknown client', [hello('mallory', 'x')], 'AUTH_FAILED'],
      ['wrong version', [hello('a', 'ta', PROTOCOL_VERSION + 1)], 'PROTOCOL_VERSION'],
      ['message before the handshake', [fitResult('1.1.0')], 'HANDSHAKE_REQUIRED'],
      ['corrupt frame', [new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 9, 9, 9, 9])], 'HANDSHAKE_REQUIRED'],
      ['text message', ['hello'], 'MESSAGE_INVALID'],
    ];
    for (const [name, frames, code] of cases) {
      const { refusal, code: closeCode } = await rawPeer(url, frames);
      expect(refusal?.code, name).toBe(code);
      expect(closeCode, name).toBe(1008);
    }
    // After the handshake: a result for a task it was not given, a corrupt frame, an oversized frame.
    const afterHello: [string, Uint8Array, string | undefined, number][] = [
      ['result for a task not given', fitResult('9.9.9'), 'UNEXPECTED_RESULT', 1008],
      [
        'corrupt frame',
        new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 1, 0, 1, 0, 255, 255, 0, 0, 0, 0, 0, 0, 1]),
        'MESSAGE_INVALID',
        1008,
      ],
      ['oversized frame', new Uint8Array(128 * 1024), undefined, 1009],
    ];
    for (const [name, frame, code, closeCode] of afterHello) {
      const result = await rawPeer(url, [hello('c', TOKENS.c!), frame], { welcomed: true });
      expect(result.refusal?.code, name).toBe(code);
      expect(result.code, name).toBe(closeCode);
    }
    expect(refused.length).toBeGreaterThanOrEqual(cases.length + 2);
    connect(url, 'a', addingTrainer(1));
    await pool.waitForClients(1);
    const [ok] = await collect(pool.dispatch([task('a', 1, 0)], { deadline: Date.now() + 2000 }));
    expect(ok?.kind).toBe('reply');
  });

  it('cuts off a client that floods the server', async () => {
    const { url } = await startPool({ messagesPerSecond: 5, messageBurst: 10 });
    const ping = encodeControl({ type: 'ping', seq: 1 });
    const result = await rawPeer(url, [hello('a', 'ta'), ...Array.from({ length: 30 }, () => ping)], {
      welcomed: true,
    });
    expect(result.refusal?.code).toBe('RATE_LIMITED');
  });
});

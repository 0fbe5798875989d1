/**
 * The round engine over the real WebSocket pool while clients come and go: a round waits for the clients it needs
 * instead of spending its retries, a failed attempt is followed by a backoff pause and a wait, a wait can be bounded
 * and aborted. Real sockets on 127.0.0.1, real client runtimes; the tests wait on engine events, not on time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ParameterSet, isFlotillaError, type Trainer } from '../../core/index.js';
import { ClientConnection, ClientRuntime, type WebSocketLike } from '../../client/index.js';
import { RoundEngine, type EngineConfig, type EngineEvents } from '../../engine/index.js';
import { createStrategy } from '../../strategy/index.js';
import { WebSocketClientPool, type Authenticator } from './index.js';

const authenticator: Authenticator = {
  authenticate: ({ clientId, token }) =>
    token === `t-${clientId}` ? { ok: true } : { ok: false, reason: 'bad credential' },
};

/** Adds 1 to every parameter after `delayMs`. */
function trainer(delayMs = 0): Trainer {
  return {
    async fit(params) {
      await new Promise((r) => setTimeout(r, delayMs));
      const out = params.clone();
      for (let i = 0; i < out.data.length; i++) out.data[i]! += 1;
      return { params: out, numExamples: 10, localSteps: 1, metrics: {} };
    },
    async evaluate() {
      return { loss: 0, numExamples: 10, metrics: {} };
    },
  };
}

const initialParams = ParameterSet.fromTensors([{ name: 'w', shape: [4], values: new Float32Array(4) }]);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function startPool() {
  const pool = new WebSocketClientPool({ authenticator, limits: { heartbeatMs: 200 } });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('connection', (socket) => pool.accept(socket));
  await new Promise((r) => wss.once('listening', r));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  cleanup.push(async () => {
    await pool.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  return { pool, url };
}

function connect(url: string, clientId: string, delayMs = 0): ClientConnection {
  const connection = new ClientConnection({
    url,
    clientId,
    token: `t-${clientId}`,
    runtime: new ClientRuntime(trainer(delayMs)),
    connect: (u) => new WebSocket(u) as unknown as WebSocketLike,
  });
  cleanup.push(async () => {
    connection.close();
    await connection.done;
  });
  return connection;
}

function engineOn(pool: WebSocketClientPool, config: Partial<EngineConfig> = {}): RoundEngine {
  return new RoundEngine({
    pool,
    strategy: createStrategy('fedavg'),
    config: {
      rounds: 2,
      minResults: { count: 2 },
      fitDeadlineMs: 10_000,
      retryBackoffMs: 50,
      retryBackoffMaxMs: 200,
      ...config,
    },
  });
}

/** Resolves with the payload of the next `event` the engine emits. */
function next<K extends keyof EngineEvents>(engine: RoundEngine, event: K): Promise<EngineEvents[K]> {
  return new Promise((resolve) => {
    const off = engine.events.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

describe('rounds wait for the clients they need', () => {
  it('waits for a second client instead of failing the round, then runs every round', async () => {
    const { pool, url } = await startPool();
    connect(url, 'a');
    await pool.waitForClients(1);
    const engine = engineOn(pool, { maxRetries: 0 });
    const waiting = next(engine, 'waiting-for-clients');
    const run = engine.run({ initialParams });
    expect(await waiting).toEqual({ round: 1, attempt: 1, needed: 2, connected: 1 });
    connect(url, 'b');
    const result = await run;
    expect(result.status).toBe('completed');
    expect(result.history.map((r) => [r.round, r.attempts, r.participants.length])).toEqual([
      [1, 1, 2],
      [2, 1, 2],
    ]);
  });

  it('after a client drops mid-round, pauses, waits for it to come back and commits the retry', async () => {
    const { pool, url } = await startPool();
    connect(url, 'a');
    const slow = connect(url, 'b', 60_000);
    await pool.waitForClients(2);
    const engine = engineOn(pool, { rounds: 1 });
    const retried = next(engine, 'round-retried');
    const waiting = next(engine, 'waiting-for-clients');
    const run = engine.run({ initialParams });
    await next(engine, 'round-started');
    slow.close();
    const retry = await retried;
    expect(retry.failed.failures).toMatchObject([{ clientId: 'b', cause: 'disconnected' }]);
    expect(retry.retryInMs).toBeGreaterThanOrEqual(25);
    expect(retry.retryInMs).toBeLessThan(50);
    expect(await waiting).toEqual({ round: 1, attempt: 2, needed: 2, connected: 1 });
    connect(url, 'b');
    const result = await run;
    expect(result.status).toBe('completed');
    expect(result.history[0]).toMatchObject({ round: 1, attempts: 2, participants: expect.any(Array) });
    expect([...result.history[0]!.participants].sort()).toEqual(['a', 'b']);
  });

  it('fails with CLIENT_WAIT_TIMEOUT naming the wait when the clients do not come in time', async () => {
    const { pool, url } = await startPool();
    connect(url, 'a');
    await pool.waitForClients(1);
    const engine = engineOn(pool, { clientWaitTimeoutMs: 300 });
    const finished = next(engine, 'run-finished');
    const error = await engine.run({ initialParams }).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'CLIENT_WAIT_TIMEOUT')).toBe(true);
    expect((error as Error).message).toMatch(
      /^round 1 waited \d+ s for 2 client\(s\), 1 connected \(clientWaitTimeout is 0\.3 s\)$/,
    );
    expect((await finished).error?.code).toBe('CLIENT_WAIT_TIMEOUT');
  });

  it("ends a wait when the run's signal aborts it: the run is aborted, not failed", async () => {
    const { pool } = await startPool();
    const engine = engineOn(pool);
    const abort = new AbortController();
    const waiting = next(engine, 'waiting-for-clients');
    const run = engine.run({ initialParams, signal: abort.signal });
    expect((await waiting).connected).toBe(0);
    abort.abort();
    const result = await run;
    expect(result).toMatchObject({ status: 'aborted', lastRound: 0 });
  });
});

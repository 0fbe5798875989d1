/**
 * The live event stream (GET /api/events) and the dashboard's API on a real TLS server (startServer) with two
 * in-process clients (runClient) training 4 rounds: admin token required, a snapshot first then the run's events in
 * order with their shapes, a state endpoint that agrees with the stream, and a subscriber that stops reading is
 * dropped at its bound while one that reads keeps every event.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluateOutput, FitOutput, ParameterSet, Trainer } from '../src/core/index.js';
import { runClient } from '../src/public/client.js';
import {
  createCertificates,
  startServer,
  type RunningServer,
  type ServerConfig,
} from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import type { DashboardState, LiveEvents } from '../src/telemetry/live/dashboard-state.js';
import { waitFor } from './support/federation.js';

const ADMIN = 'dashboard-admin-token';
const ROUNDS = 4;
let dir: string;
let ca: Buffer;
let server: RunningServer;
const tokens: Record<string, string> = {};
const stop = new AbortController();

/** A trainer that returns the global model unchanged with a per-client loss: enough for events to flow. */
function trainer(loss: number): Trainer {
  return {
    fit: async (params: ParameterSet): Promise<FitOutput> => ({
      params,
      numExamples: 10,
      localSteps: 1,
      metrics: { loss, accuracy: 1 - loss },
    }),
    evaluate: async (): Promise<EvaluateOutput> => ({ loss, numExamples: 10, metrics: {} }),
  };
}

interface Received {
  readonly name: string;
  readonly id: number;
  readonly data: unknown;
}

/** An SSE subscriber over https: collects events as they arrive. */
class Subscriber {
  readonly events: Received[] = [];
  res!: IncomingMessage;
  private buffer = '';

  static open(token: string): Promise<Subscriber> {
    const sub = new Subscriber();
    return new Promise((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${server.port}/api/events`,
        { ca, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          sub.res = res;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => sub.feed(chunk));
          resolve(sub);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end).split('\n');
      this.buffer = this.buffer.slice(end + 2);
      const field = (name: string) => block.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const data = field('data');
      if (data === undefined) continue; // a heartbeat comment
      this.events.push({ name: field('event')!, id: Number(field('id')), data: JSON.parse(data) });
    }
  }

  named<K extends keyof LiveEvents>(name: K): LiveEvents[K][] {
    return this.events.filter((e) => e.name === name).map((e) => e.data as LiveEvents[K]);
  }

  close(): void {
    this.res.destroy();
  }
}

function get(
  path: string,
  token: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${server.port}${path}`,
      { ca, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function serverConfig(limits: ServerConfig['limits'] = {}): ServerConfig {
  return {
    limits,
    host: '127.0.0.1',
    port: 0,
    dbPath: join(dir, 'server.db'),
    tls: {
      cert: join(dir, 'tls', 'server.crt'),
      key: join(dir, 'tls', 'server.key'),
      requireClientCert: false,
    },
    adminToken: ADMIN,
    runId: 'live',
    model: { name: 'logreg', inputShape: [4], numClasses: 2, seed: 1 },
    strategy: 'fedavg',
    engine: { rounds: ROUNDS, evaluateEvery: 1 },
    minClients: 2,
    eventStream: { maxQueuedBytes: 256 * 1024 },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-events-'));
  await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: [] });
  ca = await readFile(join(dir, 'tls', 'ca.crt'));
  const db = join(dir, 'server.db');
  const storage = SqliteStorage.open(db);
  for (const id of ['site-a', 'site-b']) tokens[id] = (await storage.addClient(id)).token;
  await storage.close();
  server = await startServer(serverConfig());
}, 60_000);

afterAll(async () => {
  stop.abort();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /api/events', () => {
  it('refuses a missing or wrong admin token, like the rest of the admin API', async () => {
    for (const path of ['/api/events', '/api/dashboard/state', '/api/dashboard/runs/live']) {
      expect((await get(path, '')).status).toBe(401);
      expect((await get(path, 'not-the-token')).status).toBe(401);
    }
    const page = await get('/dashboard', '');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    // Only the page's own files: anything else under /dashboard/assets/ is a 404, built or not.
    for (const path of ['/dashboard/assets/..%2F..%2Fpackage.json', '/dashboard/assets/worker.js']) {
      expect((await get(path, '')).status).toBe(404);
    }
  });

  it('streams a snapshot, then the run as it happens; the state endpoint agrees', async () => {
    const sub = await Subscriber.open(ADMIN);
    expect(sub.res.headers['content-type']).toContain('text/event-stream');
    await waitFor(() => sub.events.length > 0, 30_000, 'the snapshot');
    const snapshot = sub.events[0]!;
    expect(snapshot.name).toBe('snapshot');
    const initial = snapshot.data as DashboardState;
    expect(initial.run).toMatchObject({ runId: 'live', phase: 'waiting', rounds: ROUNDS, lastRound: 0 });
    expect(Object.keys(initial.clients).sort()).toEqual(['site-a', 'site-b']);

    const clients = (['site-a', 'site-b'] as const).map((id, i) =>
      runClient({
        server: server.url,
        id,
        token: tokens[id]!,
        ca: ca.toString(),
        trainer: trainer([0.2, 0.6][i]!),
        signal: stop.signal,
      }),
    );
    await waitFor(
      () => sub.named('run').some((r) => r.phase === 'completed'),
      120_000,
      'the run to complete on the stream',
    );
    await Promise.all(clients);

    // Ids increase with every event; nothing is missing between the snapshot and the first live event.
    const ids = sub.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);

    expect(
      sub
        .named('client-connected')
        .map((e) => e.clientId)
        .sort(),
    ).toEqual(['site-a', 'site-b']);
    const fits = sub.named('client-result').filter((e) => e.phase === 'fit');
    expect(fits).toHaveLength(2 * ROUNDS);
    expect(fits[0]!.metrics?.['loss']).toBeTypeOf('number');
    const committed = sub.named('round-committed');
    expect(committed.map((c) => c.summary.round)).toEqual([1, 2, 3, 4]);
    for (const { summary, participants } of committed) {
      expect([...participants].sort()).toEqual(['site-a', 'site-b']);
      expect(summary.participants).toBe(2);
      expect(summary.bytesSent).toBeGreaterThan(0);
      // The spread of the two clients' reported training losses: 0.2 and 0.6.
      expect(summary.spread?.['fit.loss']).toMatchObject({ min: 0.2, max: 0.6, count: 2 });
      expect(summary.spread?.['fit.loss']?.median).toBeCloseTo(0.4);
    }
    expect(
      sub
        .named('run')
        .filter((r) => r.phase === 'running')
        .map((r) => r.round),
    ).toEqual([1, 2, 3, 4]);

    const state = JSON.parse((await get('/api/dashboard/state', ADMIN)).body) as DashboardState;
    expect(state.run).toMatchObject({ phase: 'completed', lastRound: ROUNDS });
    expect(state.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(state.clients['site-a']).toMatchObject({ rounds: ROUNDS, lastRound: ROUNDS });
    const stored = JSON.parse((await get('/api/dashboard/runs/live', ADMIN)).body) as { rounds: unknown[] };
    expect(stored.rounds).toHaveLength(ROUNDS);
    sub.close();
  }, 180_000);

  it('drops a subscriber that stops reading at its bound; one that reads gets every event', async () => {
    // The earlier test's subscriber has gone.
    await waitFor(() => server.events.subscriberCount === 0, 30_000, 'no subscribers');
    // A raw TLS connection that asks for the stream, then never reads again.
    const stalled = connect({ host: '127.0.0.1', port: server.port, ca });
    await new Promise<void>((resolve) => stalled.once('secureConnect', resolve));
    stalled.write(`GET /api/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${ADMIN}\r\n\r\n`);
    const reader = await Subscriber.open(ADMIN);
    await waitFor(() => server.events.subscriberCount === 2, 30_000, 'both subscribers');
    stalled.pause();
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    stalled.on('error', () => undefined);

    const before = server.events.dropped;
    const big = 'x'.repeat(64 * 1024);
    let sent = 0;
    // Publish until the stalled subscriber is dropped, each event once the reader has it (its buffer stays small).
    while (server.events.dropped === before && sent < 2000) {
      server.live.setRun({ reason: `${sent} ${big}` });
      sent++;
      await waitFor(() => reader.named('run').length >= sent, 30_000, `event ${sent} at the reader`);
    }
    expect(server.events.dropped).toBe(before + 1);
    expect(server.events.subscriberCount).toBe(1);
    // Dropped means disconnected: the page would reconnect and start from a fresh snapshot.
    stalled.resume();
    await closed;
    // The reader got all of them, in order, and is still subscribed.
    expect(reader.named('run').map((r) => Number(r.reason!.split(' ')[0]))).toEqual(
      Array.from({ length: sent }, (_, i) => i),
    );
    reader.close();
  }, 120_000);

  it('a restarted server starts from what storage holds: rounds, participation, the finished run', async () => {
    await server.close();
    server = await startServer(serverConfig());
    await server.finished;
    const state = JSON.parse((await get('/api/dashboard/state', ADMIN)).body) as DashboardState;
    expect(state.run).toMatchObject({ runId: 'live', phase: 'completed', lastRound: ROUNDS });
    expect(state.rounds.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(state.clients['site-b']).toMatchObject({ rounds: ROUNDS, status: 'active', connected: false });
  }, 60_000);

  it("outlives the front's idle timeout: a quiet run's stream stays open", async () => {
    await server.close();
    server = await startServer({
      ...serverConfig({ idleTimeoutMs: 500 }),
      eventStream: { heartbeatMs: 60_000 },
    });
    const sub = await Subscriber.open(ADMIN);
    await waitFor(() => sub.events.length === 1, 30_000, 'the snapshot');
    // Six idle timeouts without a byte either way (the heartbeat is a minute away): the stream is still there.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(server.events.subscriberCount).toBe(1);
    server.live.setRun({ reason: 'still here' });
    await waitFor(() => sub.named('run').length === 1, 30_000, 'an event after the idle time');
    sub.close();
  }, 60_000);
});

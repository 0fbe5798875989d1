/**
 * The admin API and the client registry under attack, on a real TLS server (startServer) on 127.0.0.1: wrong admin
 * tokens are rate limited without costing scrypt while honest clients log in, revoking an unknown client is a 404,
 * and names no hello can carry are refused at registration.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeControl } from '../src/protocol/index.js';
import { createCertificates, startServer, type RunningServer } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { flotilla } from './support/federation.js';
import { helloFrame, openPeer } from './support/raw-peer.js';

const ADMIN_TOKEN = 'the-operators-admin-token';
let dir: string;
let ca: Buffer;
let server: RunningServer;
let siteToken: string;
let connectedToken: string;

interface Answer {
  readonly status: number;
  readonly retryAfter?: string;
  readonly body: { error?: string; message?: string };
}

function api(method: string, path: string, token: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${server.port}/api/${path}`,
      { method, ca, headers: { authorization: `Bearer ${token}` }, ...(agent ? { agent } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            ...(res.headers['retry-after'] ? { retryAfter: res.headers['retry-after'] } : {}),
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the first control message the server answers a hello with. */
function hello(clientId: string, token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.url, { ca });
    socket.on('open', () => socket.send(helloFrame(clientId, token)));
    socket.on('message', (data: Buffer) => {
      resolve(decodeControl(new Uint8Array(data)).type);
      socket.close();
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-admin-'));
  await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: [] });
  ca = await readFile(join(dir, 'tls', 'ca.crt'));
  const db = join(dir, 'server.db');
  const storage = SqliteStorage.open(db);
  siteToken = (await storage.addClient('site-a')).token;
  connectedToken = (await storage.addClient('site-b')).token;
  await storage.close();
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath: db,
    tls: {
      cert: join(dir, 'tls', 'server.crt'),
      key: join(dir, 'tls', 'server.key'),
      requireClientCert: false,
    },
    adminToken: ADMIN_TOKEN,
    runId: 'default',
    model: { name: 'logreg', inputShape: [4], numClasses: 2, seed: 1 },
    strategy: 'fedavg',
    engine: { rounds: 1 },
    // Never reached: the server stays in its waiting phase, serving logins and the admin API.
    minClients: 50,
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the admin API under a brute-force attack', () => {
  it('answers 429 without running scrypt, while an honest client logs in and the operator keeps access', async () => {
    expect((await api('GET', 'status', ADMIN_TOKEN)).status).toBe(200);
    const before = server.adminGuard.verifications;
    expect(before).toBe(1);

    // 200 wrong tokens, 50 connections at a time, and an honest client's hello in the middle of them.
    const agent = new Agent({ keepAlive: true, maxSockets: 50, ca });
    const attack = Promise.all(
      Array.from({ length: 200 }, (_, i) => api('GET', 'status', `guess-${i}`, agent)),
    );
    const login = hello('site-a', siteToken);
    const [answers, first] = await Promise.all([attack, login]);
    agent.destroy();

    expect(first).toBe('welcome');
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(190);
    expect(answers.every((a) => a.status === 429 || a.status === 401)).toBe(true);
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body.error).toBe('RATE_LIMITED');
    // The per-address burst (5) bounds the scrypt runs, not the number of requests.
    expect(server.adminGuard.verifications - before).toBeLessThanOrEqual(6);

    // The operator's token, verified before the attack, still works from the same address, without scrypt.
    expect((await api('GET', 'status', ADMIN_TOKEN)).status).toBe(200);
    expect(await hello('site-a', siteToken)).toBe('welcome');
  }, 60_000);
});

describe('revoking a client that does not exist', () => {
  it('is a 404 through the admin API, and revoking a registered client works', async () => {
    const unknown = await api('POST', 'clients/nobody/revoke', ADMIN_TOKEN);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'STORAGE_NOT_FOUND', message: 'no client named "nobody"' });
    const known = await api('POST', 'clients/site-a/revoke', ADMIN_TOKEN);
    expect(known.status).toBe(200);
    expect(await hello('site-a', siteToken)).toBe('refusal');
  });

  it('drops a connected client once it is revoked', async () => {
    const peer = await openPeer(server.url, { ca });
    peer.socket.send(helloFrame('site-b', connectedToken));
    await peer.welcomed;
    expect((await api('POST', 'clients/site-b/revoke', ADMIN_TOKEN)).status).toBe(200);
    await peer.closed;
    expect(peer.refusal()).toMatchObject({ code: 'AUTH_FAILED', message: 'the client was revoked' });
  }, 60_000);

  it('is one line and exit code 2 from `flotilla clients revoke`', async () => {
    const db = join(dir, 'cli.db');
    // A database that exists: revoking in one that does not is refused as a typo in --db (operator-mistakes.test.ts).
    await SqliteStorage.open(db).close();
    const cli = flotilla(['clients', 'revoke', 'nobody', '--db', db]);
    expect(await cli.exited).toBe(2);
    expect(cli.output.trim()).toBe('flotilla clients: error: no client named "nobody"');
  }, 30_000);
});

describe('client names a hello cannot carry', () => {
  const BAD = ['hôpital', '-leading-dash', "x'; DROP TABLE clients;--", 'a'.repeat(65)];

  it('are refused by `flotilla clients add` with one line, and nothing is registered', async () => {
    const db = join(dir, 'names.db');
    for (const name of BAD) {
      // After `--` so that a name starting with '-' reaches the name check rather than the flag parser.
      const cli = flotilla(['clients', 'add', '--db', db, '--', name]);
      expect(await cli.exited, name).toBe(2);
      expect(cli.output.trim().split('\n'), name).toHaveLength(1);
      expect(cli.output, name).toMatch(/error: client name ".*" is not a valid client id: use 1 to 64 ASCII/);
      expect(cli.output, name).not.toContain('token');
    }
    const good = flotilla(['clients', 'add', 'site_1.b-c', '--db', db, '--json']);
    expect(await good.exited, good.output).toBe(0);
    const storage = SqliteStorage.open(db);
    expect((await storage.listClients()).map((c) => c.name)).toEqual(['site_1.b-c']);
    await storage.close();
  }, 120_000);
});

/**
 * One-time enrolment links end to end: `flotilla clients add NAME --link` (a real process) issues the link, a real
 * TLS server on 127.0.0.1 redeems its code at POST /join/enrol, and the token it returns logs a real `flotilla
 * client` process in, whose runtime then shows in /api/clients and `flotilla status`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStrokeCohort, writeStrokeCsv } from '../src/data/index.js';
import { startServer as startLibraryServer } from '../src/public/server.js';
import { createCertificates, startServer, type RunningServer } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { flotilla, waitFor, type Proc } from './support/federation.js';

const ADMIN_TOKEN = 'the-operators-admin-token';
let dir: string;
let db: string;
let ca: Buffer;
let server: RunningServer;
const procs: Proc[] = [];

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

function send(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${server.port}${path}`,
      {
        method,
        ca,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: JSON.parse(text) as Answer['body'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const enrol = (code: unknown) => send('POST', '/join/enrol', JSON.stringify({ code }));

async function run(args: readonly string[], env: Record<string, string> = {}): Promise<Proc> {
  const p = flotilla(args, env);
  procs.push(p);
  expect(await p.exited, p.output).toBe(0);
  return p;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-enrol-'));
  await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: [] });
  ca = await readFile(join(dir, 'tls', 'ca.crt'));
  db = join(dir, 'server.db');
  await SqliteStorage.open(db).close();
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
    model: { name: 'tabular-mlp', inputShape: [21], numClasses: 2, seed: 1 },
    strategy: 'fedavg',
    engine: { rounds: 1 },
    // Never reached: the server stays in its waiting phase, serving enrolments and logins.
    minClients: 50,
  });
}, 60_000);

afterAll(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('enrolment links', () => {
  it('a link is redeemed once; its token logs a real client in, whose runtime the operator sees', async () => {
    const url = `https://127.0.0.1:${server.port}`;
    const add = await run(['clients', 'add', 'browser-1', '--link', '--url', url, '--db', db, '--json']);
    const added = JSON.parse(add.output) as { link: string; created: boolean; expiresAt: string };
    expect(added.created).toBe(true);
    expect(added.link).toMatch(new RegExp(`^${url}/join#enrol=[A-Za-z0-9_-]{12}\\.[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(added.expiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const code = new URL(added.link).hash.slice('#enrol='.length);

    const first = await enrol(code);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toEqual({ clientId: 'browser-1', token: expect.stringMatching(/^flc_/) as unknown });
    const again = await enrol(code);
    expect([again.status, again.body.error]).toEqual([410, 'ENROLMENT_USED']);
    expect(again.body.message).toBe('this enrolment link was already used: ask the operator for a new one');

    const data = join(dir, 'browser-1.csv');
    await writeStrokeCsv(data, generateStrokeCohort({ size: 100, seed: 1, profile: 'general' }));
    const client = flotilla(
      [
        'client',
        ...['--server', server.url, '--id', 'browser-1', '--data', data],
        ...['--ca', join(dir, 'tls', 'ca.crt'), '--cache-dir', join(dir, 'cache')],
      ],
      { FLOTILLA_TOKEN: first.body.token as string },
    );
    procs.push(client);
    await waitFor(
      () => client.output.includes('connected (session'),
      60_000,
      'the enrolled client to log in',
    );

    const runtime = `node-${process.versions.node}-wasm`;
    const clients = await send('GET', '/api/clients', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(clients.body.connected).toEqual([expect.objectContaining({ clientId: 'browser-1', runtime })]);
    const status = await run(['status', '--server', url, '--ca', join(dir, 'tls', 'ca.crt')], {
      FLOTILLA_ADMIN_TOKEN: ADMIN_TOKEN,
    });
    expect(status.output).toContain(`clients  1 connected: browser-1 [${runtime}]`);
    // The code is in no output of the server's or the client's.
    expect(client.output).not.toContain(code);
  }, 120_000);

  it('refuses expired, revoked, unknown and malformed codes with typed JSON, then limits the guesses', async () => {
    const storage = SqliteStorage.open(db);
    await storage.addClient('late');
    await storage.addClient('gone');
    const expired = await storage.createEnrolment('late', 3_600_000, Date.now() - 7_200_000);
    const revoked = await storage.createEnrolment('gone', 3_600_000);
    await storage.revokeClient('gone');
    await storage.close();

    const late = await enrol(expired.code);
    expect([late.status, late.body.error]).toEqual([410, 'ENROLMENT_EXPIRED']);
    expect(late.body.message).toMatch(/^this enrolment link expired at \S+: ask the operator for a new one$/);
    const gone = await enrol(revoked.code);
    expect([gone.status, gone.body.error]).toEqual([403, 'ENROLMENT_REVOKED']);
    const bad = await send('POST', '/join/enrol', '{"code": 1, "extra": true}');
    expect([bad.status, bad.body.error]).toEqual([400, 'INVALID_ARGUMENT']);
    const big = await send('POST', '/join/enrol', JSON.stringify({ code: 'x'.repeat(4096) }));
    expect([big.status, big.body.error]).toEqual([413, 'INVALID_ARGUMENT']);

    // Each wrong code costs one attempt of this address: within a few more, the server stops checking them.
    const answers: Answer[] = [];
    for (let i = 0; i < 10 && answers.at(-1)?.status !== 429; i++) answers.push(await enrol(`guess-${i}`));
    expect(answers[0]!.body.error).toBe('ENROLMENT_UNKNOWN');
    expect(answers[0]!.status).toBe(401);
    const limited = answers.at(-1)!;
    expect([limited.status, limited.body.error]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  }, 60_000);

  it('`clients add --link` on an existing client issues a new link and refuses bad --url values', async () => {
    const url = `https://127.0.0.1:${server.port}`;
    await run(['clients', 'add', 'site-9', '--db', db]);
    const again = await run(['clients', 'add', 'site-9', '--link', '--url', url, '--db', db]);
    expect(again.output).toMatch(/^new link for client site-9; its one-time enrolment link/);
    expect(again.output).toContain(`${url}/join#enrol=`);
    const noUrl = flotilla(['clients', 'add', 'site-9', '--link', '--db', db]);
    expect(await noUrl.exited).not.toBe(0);
    expect(noUrl.output).toContain('--link needs --url https://HOST:PORT');
    const ftp = flotilla(['clients', 'add', 'site-9', '--link', '--url', 'ftp://x', '--db', db]);
    expect(await ftp.exited).not.toBe(0);
    expect(ftp.output).toContain('must start with https://');
  }, 60_000);

  it("the library's FlotillaServer.enrolmentLink gives a link on the server's own address that redeems", async () => {
    const library = await startLibraryServer({
      settings: {
        insecure: true,
        host: '127.0.0.1',
        port: 0,
        db: ':memory:',
        inputSize: 4,
        rounds: 1,
        minClients: 5,
      },
    });
    try {
      const link = await library.enrolmentLink('web-1', { ttlHours: 1 });
      expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${library.port}/join#enrol=`));
      const code = new URL(link).hash.slice('#enrol='.length);
      const answer = await fetch(new URL('/join/enrol', link), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as { clientId: string }).clientId).toBe('web-1');
    } finally {
      await library.close();
    }
  }, 60_000);
});

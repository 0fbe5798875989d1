/**
 * The participant page's routes on a real TLS server (startServer) on 127.0.0.1: the page and its assets come only
 * from a fixed allow-list of the built folder, every /join response carries the strict CSP, task.json describes the
 * run, and an unbuilt page answers 503 naming `npm run build`. The built folder here is a temporary stand-in with
 * the same file names (the real bundle is exercised in Chromium by test/browser-page.test.ts).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificates, startServer, type RunningServer } from '../src/server/index.js';
import { JOIN_CSP, participantTask } from '../src/server/participant-page.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

let dir: string;
let ca: Buffer;
const servers: RunningServer[] = [];

/** A GET with the path sent exactly as written (no client-side normalisation of `..`). */
function get(server: RunningServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: server.port, path, method: 'GET', ca, headers };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function start(db: string, pageDir: string): Promise<RunningServer> {
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath: join(dir, db),
    tls: {
      cert: join(dir, 'tls', 'server.crt'),
      key: join(dir, 'tls', 'server.key'),
      requireClientCert: false,
    },
    runId: 'page-run',
    model: { name: 'logreg', inputShape: [21], numClasses: 2, seed: 1 },
    strategy: 'fedavg',
    engine: { rounds: 1 },
    // Never reached: the server stays in its waiting phase, serving the page.
    minClients: 50,
    participantPageDir: pageDir,
  });
  servers.push(server);
  return server;
}

function expectStrictHeaders(answer: Answer): void {
  expect(answer.headers['content-security-policy']).toBe(JOIN_CSP);
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-page-'));
  await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: [] });
  ca = await readFile(join(dir, 'tls', 'ca.crt'));
  const built = join(dir, 'site', 'join');
  await mkdir(join(built, 'wasm'), { recursive: true });
  await writeFile(join(built, 'index.html'), '<!doctype html><title>join</title>');
  await writeFile(join(built, 'page.js'), 'export {};');
  await writeFile(join(built, 'page.js.gz'), gzipSync('export {};'));
  await writeFile(join(built, 'wasm', 'tfjs-backend-wasm-simd.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  // Present on disk but not on the allow-list, and a file next to the folder: neither may be served.
  await writeFile(join(built, 'notes.txt'), 'not an asset');
  await writeFile(join(dir, 'site', 'secret.txt'), 'secret');
}, 60_000);

afterAll(async () => {
  for (const server of servers) await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the participant page routes', () => {
  it('serve the page and allow-listed assets with their types, each with the strict CSP', async () => {
    const server = await start('a.db', join(dir, 'site', 'join'));
    const page = await get(server, '/join');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body.toString()).toContain('<title>join</title>');
    expectStrictHeaders(page);
    // Every directive the page relies on, and nothing looser: no inline code, no other origin.
    expect(JOIN_CSP).toContain("default-src 'none'");
    expect(JOIN_CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(JOIN_CSP).toContain("connect-src 'self'");
    expect(JOIN_CSP).toContain("frame-ancestors 'none'");
    expect(JOIN_CSP).not.toMatch(/unsafe-inline|'unsafe-eval'|\*/);

    const script = await get(server, '/join/assets/page.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expectStrictHeaders(script);
    expect(script.headers['content-encoding']).toBeUndefined();
    expect(script.body.toString()).toBe('export {};');
    // A browser that accepts gzip gets the build's gzipped twin, same type and headers.
    const zipped = await get(server, '/join/assets/page.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.body).toString()).toBe('export {};');
    expectStrictHeaders(zipped);
    // Without a twin on disk, the file itself.
    const plain = await get(server, '/join', { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toContain('<title>join</title>');
    const wasm = await get(server, '/join/assets/wasm/tfjs-backend-wasm-simd.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect([...wasm.body]).toEqual([0, 0x61, 0x73, 0x6d]);
  });

  it('refuse files off the allow-list and every path escape, with the CSP still on', async () => {
    const server = await start('b.db', join(dir, 'site', 'join'));
    for (const path of [
      '/join/assets/notes.txt',
      '/join/assets/../secret.txt',
      '/join/assets/..%2fsecret.txt',
      '/join/assets/%2e%2e/secret.txt',
      '/join/assets/wasm/../../secret.txt',
      '/join/assets/wasm/..%2f..%2fsecret.txt',
      '/join/assets/',
      '/join/assets/index.html/',
      '/join/assets/page.js.gz',
    ]) {
      const answer = await get(server, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body.toString(), path).not.toContain('secret');
      expect(answer.headers['content-security-policy'], path).toBe(JOIN_CSP);
    }
  });

  it('describe the run in task.json', async () => {
    const server = await start('c.db', join(dir, 'site', 'join'));
    const answer = await get(server, '/join/task.json');
    expect(answer.status).toBe(200);
    expectStrictHeaders(answer);
    expect(JSON.parse(answer.body.toString())).toEqual({
      runId: 'page-run',
      model: { name: 'logreg', inputShape: [21], numClasses: 2 },
      data: 'tabular-csv',
      privacy: { dp: false },
      secureAggregation: false,
    });
    // An image model takes IDX files; SecAgg+ and DP are announced so the page can show them.
    expect(
      participantTask({
        runId: 'mnist',
        model: { name: 'cnn', inputShape: [28, 28, 1], numClasses: 10, seed: 0 },
        engine: { rounds: 1, secureAggregation: {} },
        privacy: {
          policy: { mechanism: 'local-gaussian', delta: 1e-5, budget: { epsilon: 8, delta: 1e-5 } },
          settings: {},
        } as never,
      }),
    ).toEqual({
      runId: 'mnist',
      model: { name: 'cnn', inputShape: [28, 28, 1], numClasses: 10 },
      data: 'images-idx',
      privacy: { dp: true, mechanism: 'local-gaussian', delta: 1e-5, budget: { epsilon: 8, delta: 1e-5 } },
      secureAggregation: true,
    });
  });

  it('answer 503 naming npm run build when the page was never built', async () => {
    const server = await start('d.db', join(dir, 'not-built'));
    for (const path of ['/join', '/join/assets/page.js']) {
      const answer = await get(server, path);
      expect(answer.status, path).toBe(503);
      expect(answer.body.toString()).toMatch(/participant page is not built .*: run npm run build/);
      expectStrictHeaders(answer);
    }
    // The run's description needs no build.
    expect((await get(server, '/join/task.json')).status).toBe(200);
  });
});

/**
 * Where `GET /metrics` is served: on the server's port behind the admin token by default, alone on a plain-HTTP
 * port of its own with `metricsPort`, or not at all with `metrics: false`; and the settings that would be ignored
 * are refused. A real server in this process (plain HTTP, SQLite in a temp folder) whose run waits for clients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import {
  startServer,
  type RunningServer,
  type ServerConfig,
  type ServerLogEvent,
} from '../src/server/index.js';
import { freePort } from './support/federation.js';

const TOKEN = 'endpoint-test-admin-token-77aa';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(
  metrics: ServerConfig['metrics'],
): Promise<{ server: RunningServer; logs: ServerLogEvent[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-metrics-'));
  const logs: ServerLogEvent[] = [];
  const server = await startServer(
    {
      host: '127.0.0.1',
      port: 0,
      dbPath: join(dir, 'server.db'),
      adminToken: TOKEN,
      runId: 'm',
      model: { name: 'logreg', inputShape: [4], numClasses: 2, seed: 0 },
      strategy: 'fedavg',
      engine: { rounds: 1 },
      minClients: 1000,
      ...(metrics !== undefined ? { metrics } : {}),
    },
    { log: (e) => logs.push(e) },
  );
  cleanups.push(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { server, logs };
}

const base = (server: RunningServer) => `http://127.0.0.1:${server.port}`;
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('GET /metrics', () => {
  it('is served on the server port to the admin token only', async () => {
    const { server } = await start(undefined);
    expect((await fetch(`${base(server)}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base(server)}/metrics`, { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
    const ok = await fetch(`${base(server)}/metrics`, { headers: bearer });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await ok.text();
    expect(text).toContain('# TYPE flotilla_rounds_committed_total counter');
    expect(text).toMatch(/^flotilla_clients_connected\{run="m"\} 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes\{run="m"\} \d+/m);
  });

  it('is served alone over plain HTTP on metricsPort, and no longer on the server port', async () => {
    const port = await freePort();
    const { server, logs } = await start({ port });
    const url = `http://127.0.0.1:${port}/metrics`;
    expect(logs.find((e) => e.event === 'listening')).toMatchObject({ metrics: url });
    const scraped = await fetch(url);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('flotilla_round_last_committed{run="m"} 0');
    expect((await fetch(`http://127.0.0.1:${port}/api/status`, { headers: bearer })).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base(server)}/metrics`, { headers: bearer })).status).toBe(404);
  });

  it('is not served with metrics off', async () => {
    const { server } = await start(false);
    expect((await fetch(`${base(server)}/metrics`, { headers: bearer })).status).toBe(404);
  });

  it('refuses a metrics port another program holds, naming --metrics-port', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => holder.close(() => r())));
    const port = (holder.address() as { port: number }).port;
    await expect(start({ port })).rejects.toMatchObject({
      code: 'ADDRESS_IN_USE',
      message: `127.0.0.1:${port} is already in use by another program; pick another --metrics-port`,
    });
  });
});

describe('metrics settings', () => {
  const config = (...flags: string[]) =>
    serverConfigFromOptions(readServerOptions(['--insecure', '--input-size', '4', ...flags]));

  it('default to /metrics on the server port; metricsPort and metricsHost move it', () => {
    expect(config().metrics).toEqual({});
    expect(config('--metrics-port', '9464').metrics).toEqual({ port: 9464 });
    expect(config('--metrics-port', '9464', '--metrics-host', '10.0.0.5').metrics).toEqual({
      port: 9464,
      host: '10.0.0.5',
    });
    expect(config('--metrics', 'false').metrics).toBe(false);
  });

  it('refuse a listener setting that would be ignored', () => {
    expect(() => config('--metrics-host', '0.0.0.0')).toThrow(
      '"metricsHost" needs "metricsPort" (the listener it is the address of)',
    );
    expect(() => config('--metrics', 'false', '--metrics-port', '9464')).toThrow(
      '"metricsPort" is set but "metrics" is false',
    );
  });

  it('refuse the server port as the metrics port', async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-metrics-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await expect(
      startServer({
        host: '127.0.0.1',
        port,
        dbPath: join(dir, 'server.db'),
        runId: 'm',
        model: { name: 'logreg', inputShape: [4], numClasses: 2, seed: 0 },
        strategy: 'fedavg',
        engine: { rounds: 1 },
        minClients: 1000,
        metrics: { port },
      }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(`"metricsPort" ${port} is the server's own port`),
    });
  });
});

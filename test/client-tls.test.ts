/**
 * A client that cannot establish TLS says why and stops: the real Node socket and the real `flotilla client` process
 * against a real TLS server on 127.0.0.1, trusting the wrong CA or reaching it under a name its certificate lacks.
 * A server that is merely not there is still retried.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRuntime, runWithReconnect, type ConnectionEnd } from '../src/client/index.js';
import { nodeWebSocketFactory } from '../src/client/node/index.js';
import { isFlotillaError } from '../src/core/index.js';
import { generateStrokeCohort, writeStrokeCsv } from '../src/data/index.js';
import { createCertificates } from '../src/server/certs.js';
import { flotilla, freePort, type Proc } from './support/federation.js';

let dir: string;
let server: Server;
let port: number;
let client: Proc | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-client-tls-'));
  // The server's certificate is for "localhost" only; "other" is a CA the server has nothing to do with.
  await createCertificates(join(dir, 'tls'), { hosts: ['localhost'], clients: [] });
  await createCertificates(join(dir, 'other'), { hosts: ['localhost'], clients: [] });
  server = createServer({
    cert: await readFile(join(dir, 'tls', 'server.crt')),
    key: await readFile(join(dir, 'tls', 'server.key')),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 30_000);

afterAll(async () => {
  if (client?.child.exitCode === null) client.child.kill('SIGKILL');
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the reconnect loop with the real Node socket; returns its error (or outcome) and every retry it scheduled.
 * It stops the loop after `stopAfter` retries (a client that retried a TLS failure fails its test, never hangs it).
 */
async function connect(url: string, caFile: string, stopAfter = 3) {
  const retries: ConnectionEnd[] = [];
  const abort = new AbortController();
  const outcome = await runWithReconnect({
    url,
    clientId: 'site-a',
    token: 'flc_test',
    runtime: new ClientRuntime({
      fit: () => Promise.reject(new Error('never asked')),
      evaluate: () => Promise.reject(new Error('never asked')),
    }),
    connect: nodeWebSocketFactory({ caFile }),
    initialDelayMs: 10,
    maxDelayMs: 20,
    onDisconnect: (end) => {
      if (retries.push(end) >= stopAfter) abort.abort();
    },
    signal: abort.signal,
  }).catch((error: unknown) => error);
  return { outcome, retries };
}

describe('a client whose TLS handshake fails', () => {
  it('names an unknown CA and stops without retrying', async () => {
    const { outcome, retries } = await connect(`wss://localhost:${port}/ws`, join(dir, 'other', 'ca.crt'));
    expect(retries).toEqual([]);
    expect(isFlotillaError(outcome, 'TLS_INVALID')).toBe(true);
    expect((outcome as Error).message).toMatch(
      /^TLS: certificate signed by unknown authority \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); pass the CA/,
    );
  });

  it('names a host name the certificate does not hold and stops without retrying', async () => {
    const { outcome, retries } = await connect(`wss://127.0.0.1:${port}/ws`, join(dir, 'tls', 'ca.crt'));
    expect(retries).toEqual([]);
    expect(isFlotillaError(outcome, 'TLS_INVALID')).toBe(true);
    expect((outcome as Error).message).toMatch(
      /^TLS: host name mismatch \(ERR_TLS_CERT_ALTNAME_INVALID\): .*127\.0\.0\.1 is not in the cert/,
    );
  });

  it('still retries a server that is not listening, and says why each attempt failed', async () => {
    const url = `wss://localhost:${await freePort()}/ws`;
    const { outcome, retries } = await connect(url, join(dir, 'tls', 'ca.crt'), 2);
    expect(outcome).toBe('stopped');
    expect(retries).toHaveLength(2);
    expect(retries[0]!.reason).toMatch(/ECONNREFUSED/);
  });

  it('cuts its backoff short on an online event, and stops when aborted from onDisconnect', async () => {
    const url = `wss://localhost:${await freePort()}/ws`;
    const online = new EventTarget();
    const abort = new AbortController();
    const ends: ConnectionEnd[] = [];
    const outcome = await runWithReconnect({
      url,
      clientId: 'site-a',
      token: 'flc_test',
      runtime: new ClientRuntime({
        fit: () => Promise.reject(new Error('never asked')),
        evaluate: () => Promise.reject(new Error('never asked')),
      }),
      connect: nodeWebSocketFactory({ caFile: join(dir, 'tls', 'ca.crt') }),
      // An hour's backoff: only the online event can bring the second attempt within the test's time.
      initialDelayMs: 3_600_000,
      maxDelayMs: 3_600_000,
      wake: online,
      onDisconnect: (end) => {
        if (ends.push(end) >= 2) abort.abort();
        else setImmediate(() => online.dispatchEvent(new Event('online')));
      },
      signal: abort.signal,
    });
    expect(outcome).toBe('stopped');
    expect(ends.map((e) => e.reason)).toEqual([
      expect.stringMatching(/ECONNREFUSED/),
      expect.stringMatching(/ECONNREFUSED/),
    ]);
  });

  it('ends the `flotilla client` process with exit code 2 and one line naming the TLS error', async () => {
    const csv = join(dir, 'site.csv');
    await writeStrokeCsv(csv, generateStrokeCohort({ size: 60, seed: 1, profile: 'general' }));
    client = flotilla(
      [
        'client',
        '--server',
        `wss://localhost:${port}/ws`,
        '--id',
        'site-a',
        '--data',
        csv,
        '--ca',
        join(dir, 'other', 'ca.crt'),
        '--cache-dir',
        join(dir, 'cache'),
      ],
      { FLOTILLA_TOKEN: 'flc_test' },
    );
    expect(await client.exited, client.output).toBe(2);
    const last = client.output.trim().split('\n').at(-1);
    expect(last).toMatch(
      /^flotilla client: error: TLS: certificate signed by unknown authority \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
    expect(client.output).not.toContain('retry in');
  }, 60_000);
});

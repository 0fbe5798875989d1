/**
 * Node clients on image data: a TLS server process on an image model (`--dataset mnist`) and two `flotilla client`
 * processes on IDX files written from the `mnist` package's digits (one pair plain, one gzipped), on 127.0.0.1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificates } from '../src/server/certs.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { flotilla, freePort, type Proc } from './support/federation.js';
import { writeMnistIdx } from './support/mnist-idx.js';

let dir: string | undefined;
const procs: Proc[] = [];
afterEach(async () => {
  for (const p of procs)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.splice(0).map((p) => p.exited));
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function start(args: readonly string[], env: Record<string, string> = {}): Proc {
  const p = flotilla(args, env);
  procs.push(p);
  return p;
}

describe('Node clients on IDX image files', () => {
  it('two clients on MNIST digits commit 2 rounds of the 2NN, and the server logs their runtime', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-images-'));
    const tls = join(dir, 'tls');
    await createCertificates(tls, { hosts: ['127.0.0.1'], clients: [] });
    const db = join(dir, 'server.db');
    const storage = SqliteStorage.open(db);
    const tokens = [(await storage.addClient('lab-0')).token, (await storage.addClient('lab-1')).token];
    await storage.close();
    const files = [
      await writeMnistIdx(dir, 'lab-0', { count: 300 }),
      await writeMnistIdx(dir, 'lab-1', { count: 300, offset: 300, gzip: true }),
    ];
    const port = await freePort();
    const server = start([
      'server',
      ...['--port', String(port), '--db', db, '--tls-dir', tls],
      ...['--dataset', 'mnist', '--rounds', '2', '--min-clients', '2', '--evaluate-every', '1'],
      ...['--batch-size', '32', '--learning-rate', '0.1', '--seed', '5'],
    ]);
    const clients = files.map((f, i) =>
      start(
        [
          'client',
          ...['--server', `wss://127.0.0.1:${port}/ws`, '--id', `lab-${i}`],
          ...['--data', f.images, '--labels', f.labels, '--data-seed', String(i)],
          ...['--ca', join(tls, 'ca.crt'), '--cache-dir', join(dir!, 'cache')],
        ],
        { FLOTILLA_TOKEN: tokens[i]! },
      ),
    );
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":2');
    for (const c of clients) {
      expect(await c.exited, c.output).toBe(0);
      expect(c.output).toContain('240 training and 60 test examples of shape [28, 28, 1], backend wasm');
    }
    const runtime = `"runtime":"node-${process.versions.node}-wasm"`;
    expect(server.output.match(new RegExp(`"event":"connected".*${runtime}`, 'g'))?.length).toBe(2);

    const check = SqliteStorage.open(db);
    const rounds = await check.rounds('default');
    await check.close();
    expect(
      rounds.map((r) => (r.record as unknown as { participants: string[] }).participants.length),
    ).toEqual([2, 2]);
    // Federated evaluation ran on each client's held-out digits.
    expect(JSON.stringify(rounds[1]!.record)).toContain('accuracy');
  }, 180_000);

  it('a client whose labels do not match its images stops with one line naming both files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-images-'));
    const a = await writeMnistIdx(dir, 'a', { count: 20 });
    const b = await writeMnistIdx(dir, 'b', { count: 10 });
    const bad = join(dir, 'token');
    await writeFile(bad, 'flc_unused\n');
    const client = start([
      'client',
      ...['--server', 'wss://127.0.0.1:9/ws', '--id', 'lab', '--token-file', bad],
      ...['--data', a.images, '--labels', b.labels],
    ]);
    expect(await client.exited).not.toBe(0);
    expect(client.output.trim()).toBe(
      `flotilla client: error: ${a.images} holds 20 images but ${b.labels} holds 10 labels`,
    );
  }, 60_000);
});

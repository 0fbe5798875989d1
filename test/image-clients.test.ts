/**
 * Node clients on image data: a TLS server process on an image model (`--dataset mnist`) and two `flotilla client`
 * processes on IDX files written from the `mnist` package's digits (one pair plain, one gzipped), on 127.0.0.1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeIdxUint8 } from '../src/data/index.js';
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

/** A TLS server process on the MNIST 2NN with registered clients; their tokens by name. */
async function imageServer(names: readonly string[], args: readonly string[]) {
  const root = (dir = await mkdtemp(join(tmpdir(), 'flotilla-images-')));
  const tls = join(root, 'tls');
  await createCertificates(tls, { hosts: ['127.0.0.1'], clients: [] });
  const db = join(root, 'server.db');
  const storage = SqliteStorage.open(db);
  const tokens = new Map<string, string>();
  for (const name of names) tokens.set(name, (await storage.addClient(name)).token);
  await storage.close();
  const port = await freePort();
  const server = start([
    'server',
    ...['--port', String(port), '--db', db, '--tls-dir', tls, '--dataset', 'mnist'],
    ...args,
  ]);
  const client = (name: string, data: readonly string[]) =>
    start(
      [
        'client',
        ...['--server', `wss://127.0.0.1:${port}/ws`, '--id', name, ...data],
        ...['--ca', join(tls, 'ca.crt'), '--cache-dir', join(root, 'cache')],
      ],
      { FLOTILLA_TOKEN: tokens.get(name)! },
    );
  return { db, dir: root, server, client };
}

describe('Node clients on IDX image files', () => {
  it('two clients on MNIST digits commit 2 rounds of the 2NN, and the server logs their runtime', async () => {
    const f = await imageServer(
      ['lab-0', 'lab-1'],
      [
        ...['--rounds', '2', '--min-clients', '2', '--evaluate-every', '1'],
        ...['--batch-size', '32', '--learning-rate', '0.1', '--seed', '5'],
      ],
    );
    const { server, db } = f;
    const files = [
      await writeMnistIdx(f.dir, 'lab-0', { count: 300 }),
      await writeMnistIdx(f.dir, 'lab-1', { count: 300, offset: 300, gzip: true }),
    ];
    const clients = files.map((file, i) =>
      f.client(`lab-${i}`, ['--data', file.images, '--labels', file.labels, '--data-seed', String(i)]),
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

  it("a client whose images do not fit the run's model tells the server, then stops with one line", async () => {
    const f = await imageServer(['small'], ['--rounds', '1', '--min-clients', '1']);
    const images = join(f.dir, 'small-images');
    const labels = join(f.dir, 'small-labels');
    await writeFile(images, encodeIdxUint8([30, 14, 14], new Uint8Array(30 * 14 * 14)));
    await writeFile(
      labels,
      encodeIdxUint8(
        [30],
        Uint8Array.from({ length: 30 }, (_, i) => i % 10),
      ),
    );
    const client = f.client('small', ['--data', images, '--labels', labels]);
    expect(await client.exited, client.output).not.toBe(0);
    expect(client.output).toContain('round 1: task-failed');
    expect(client.output.trim().split('\n').at(-1)).toBe(
      "flotilla client: error: the run's model does not fit this client's --model mlp on examples of shape [14, 14, 1]: this client and the run differ at tensor 0: dense_0/kernel[196x200] vs dense_0/kernel[784x200]",
    );
  }, 120_000);

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
    const untested = start([
      'client',
      ...['--server', 'wss://127.0.0.1:9/ws', '--id', 'lab', '--token-file', bad],
      ...['--data', a.images, '--labels', a.labels, '--test-data', b.images],
    ]);
    expect(await untested.exited).not.toBe(0);
    expect(untested.output.trim()).toContain('--test-data images need their --test-labels');
  }, 60_000);
});

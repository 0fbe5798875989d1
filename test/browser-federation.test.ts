/**
 * Browser clients side by side with a Node client, in real Chromium (Debian's, through playwright-core): a TLS
 * `flotilla server` process, three participant pages that sign in and pick their files through the page's own form
 * and file input, and one `flotilla client` process train 5 rounds; every round commits with all four.
 * - The files never leave the pages: no request or WebSocket frame any page sends carries a byte run of its file,
 *   and no page sends an HTTP request with a body at all.
 * - A page and the Node client given the same file and data seed train identically: the server's per-client
 *   `client-result` log lines show the same examples and training loss in every round, within float tolerance.
 *   Training is full-batch so the per-client shuffle seed (which depends on the client's name) cannot matter.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { launchChromium, textOf, type Participant } from './support/chromium.js';
import { flotilla, prepareFederation, waitFor, type Federation, type Proc } from './support/federation.js';
import { writeMnistIdx } from './support/mnist-idx.js';
import {
  clientResults,
  distinctiveBytes,
  joinAsParticipant,
  logEvents,
  requireBuiltPage,
  runToEnd,
  waitFinished,
} from './support/participants.js';

const ROUNDS = 5;
let federation: Federation | undefined;
let browser: Browser | undefined;

beforeAll(() => requireBuiltPage());
afterAll(async () => {
  await browser?.close();
  await federation?.stop();
});

/** A server of `federation` with `extra` settings (no preset input size), once it listens. */
async function startServer(f: Federation, extra: readonly string[]): Promise<Proc> {
  const server = flotilla([
    ...['server', '--port', String(f.port), '--db', f.db, '--tls-dir', f.tlsDir],
    ...['--rounds', String(ROUNDS), '--min-clients', '4', '--seed', '7', '--model-seed', '3'],
    ...extra,
  ]);
  f.procs.push(server);
  await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');
  return server;
}

async function expectDataStayedInPages(pages: readonly Participant[], files: readonly string[][]) {
  for (const [i, p] of pages.entries()) {
    // The recorder saw the page's WebSocket (so it would have seen the data had it been sent): the hello and at
    // least one result per round...
    expect(p.traffic.frames().length).toBeGreaterThan(ROUNDS);
    // ...and no frame or request carried a byte run of any picked file, and no request had a body.
    for (const file of files[i]!) expect(p.traffic.carrying(await distinctiveBytes(file))).toEqual([]);
    expect(p.traffic.requestsWithBody()).toEqual([]);
  }
}

async function expectAllFourEveryRound(db: string, ids: readonly string[]) {
  const storage = SqliteStorage.open(db);
  const rounds = await storage.rounds('default');
  await storage.close();
  expect(rounds.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
  for (const r of rounds) {
    expect([...(r.record as unknown as { participants: string[] }).participants].sort()).toEqual(
      [...ids].sort(),
    );
  }
}

/** The runtime each client reported: three browsers on wasm, one Node process. */
async function expectRuntimes(output: string, pages: readonly Participant[]) {
  const connected = logEvents(output).filter((e) => e['event'] === 'connected');
  expect(connected.filter((e) => e['runtime'] === 'browser-wasm')).toHaveLength(3);
  expect(connected.filter((e) => String(e['runtime']).startsWith('node-'))).toHaveLength(1);
  for (const p of pages) expect(await textOf(p.page, '#backend')).toBe('wasm');
}

/**
 * A page and a Node client on the same file and data seed: the server's client-result lines show the same examples,
 * training loss and accuracy every round. A third client on other data shows the comparison can tell them apart.
 */
function expectTwinsTrainedAlike(output: string, pageId: string, nodeId: string, otherId: string) {
  const results = clientResults(output);
  const of = (id: string) => results.filter((r) => r.clientId === id).sort((a, b) => a.round - b.round);
  const page = of(pageId);
  const node = of(nodeId);
  expect(page.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
  expect(node.map((r) => r.round)).toEqual([1, 2, 3, 4, 5]);
  for (const [i, b] of page.entries()) {
    const n = node[i]!;
    expect(b.numExamples).toBe(n.numExamples);
    expect(b.metrics!['loss']).toBeCloseTo(n.metrics!['loss']!, 5);
    expect(b.metrics!['accuracy']).toBeCloseTo(n.metrics!['accuracy']!, 5);
  }
  expect(of(otherId)[0]!.metrics!['loss']).not.toBeCloseTo(page[0]!.metrics!['loss']!, 3);
}

describe('browser clients beside a Node client', () => {
  it('stroke CSV: three pages and a Node client commit 5 rounds; a page trains exactly as the Node client on the same file and seed', async () => {
    const f = (federation = await prepareFederation(4, 300));
    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const server = await startServer(f, [
      ...['--input-size', '21', '--model', 'tabular-mlp', '--learning-rate', '0.1', '--local-epochs', '2'],
      // Full batch (more than any client's 240 training rows): the shuffle order cannot change an update.
      ...['--batch-size', '1000', '--evaluate-every', '1'],
    ]);
    const origin = `https://127.0.0.1:${f.port}`;
    const [site0, site1, site2, site3] = f.sites as [
      (typeof f.sites)[0],
      (typeof f.sites)[0],
      (typeof f.sites)[0],
      (typeof f.sites)[0],
    ];
    const pages = await Promise.all(
      [site0, site1, site2].map((s, i) =>
        joinAsParticipant(browser!, {
          origin,
          clientId: s.id,
          token: s.token,
          files: [s.csv],
          dataSeed: i === 0 ? 11 : i,
        }),
      ),
    );
    // The Node twin of page 0: its own name and token, page 0's file and data seed.
    const node = f.startClient({ ...site3, csv: site0.csv }, ['--data-seed', '11']);

    expect(await runToEnd(server, pages), server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":5');
    for (const p of pages) await waitFinished(p);
    expect(await node.exited, node.output).toBe(0);
    await expectAllFourEveryRound(
      f.db,
      f.sites.map((s) => s.id),
    );

    await expectRuntimes(server.output, pages);
    expectTwinsTrainedAlike(server.output, site0.id, site3.id, site1.id);
    await expectDataStayedInPages(
      pages,
      [site0, site1, site2].map((s) => [s.csv]),
    );
    await browser.close();
    browser = undefined;
    await f.stop();
    federation = undefined;
  }, 240_000);

  it('MNIST IDX: three pages (images and labels picked together) and a Node client commit 5 rounds of the 2NN; a page trains exactly as the Node client on the same files and seed', async () => {
    const f = (federation = await prepareFederation(4, 10));
    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const idx = await Promise.all(
      f.sites.map((s, i) => writeMnistIdx(f.dir, s.id, { count: 200, offset: 200 * i, gzip: i === 1 })),
    );
    const server = await startServer(f, [
      ...['--dataset', 'mnist', '--model', 'mlp', '--learning-rate', '0.1'],
      // Full batch (160 training images each), as for the stroke task.
      ...['--batch-size', '1000'],
    ]);
    const origin = `https://127.0.0.1:${f.port}`;
    const pages = await Promise.all(
      [0, 1, 2].map((i) =>
        joinAsParticipant(browser!, {
          origin,
          clientId: f.sites[i]!.id,
          token: f.sites[i]!.token,
          files: [idx[i]!.images, idx[i]!.labels],
          dataSeed: i === 0 ? 11 : i,
        }),
      ),
    );
    // The Node twin of page 0: its own name and token, page 0's files and data seed.
    const node = f.startClient({ ...f.sites[3]!, csv: idx[0]!.images }, [
      ...['--labels', idx[0]!.labels, '--data-seed', '11'],
    ]);

    expect(await runToEnd(server, pages), server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":5');
    for (const p of pages) await waitFinished(p);
    expect(await node.exited, node.output).toBe(0);
    await expectAllFourEveryRound(
      f.db,
      f.sites.map((s) => s.id),
    );
    await expectRuntimes(server.output, pages);
    expectTwinsTrainedAlike(server.output, f.sites[0]!.id, f.sites[3]!.id, f.sites[1]!.id);
    await expectDataStayedInPages(
      pages,
      idx.slice(0, 3).map((files) => [files.images, files.labels]),
    );
  }, 240_000);
});

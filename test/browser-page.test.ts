/**
 * The participant page in real Chromium (Debian's, driven by playwright-core) against a real `flotilla server`
 * process over TLS on 127.0.0.1: a participant signs in with a name and token, picks a stroke CSV, and the server
 * commits two rounds with the page and a Node client process. The page trains in its Web Worker on the wasm
 * backend, exactly as `flotilla client` would on the same file: the final model equals the in-process simulation
 * of both clients. The CSV never leaves the page: no request carries it, and Leave deletes what the browser kept.
 * Needs the built page (`npm run build`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { readServerOptions, serverConfigFromOptions } from '../src/cli/commands/server.js';
import { strokeTrainer } from '../src/cli/local-trainer.js';
import { RoundEngine } from '../src/engine/index.js';
import { defaultParticipantPageDir } from '../src/server/participant-page.js';
import { createStrategy } from '../src/strategy/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { InProcessPool, RuntimeClientHost } from '../src/transport/index.js';
import { launchChromium, openParticipant } from './support/chromium.js';
import { prepareFederation, waitFor, type Federation } from './support/federation.js';
import { clientResults } from './support/participants.js';

let federation: Federation | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  browser = undefined;
  await federation?.stop();
  federation = undefined;
});

const RUN = [
  '--rounds',
  '2',
  '--seed',
  '7',
  '--model-seed',
  '3',
  '--learning-rate',
  '0.1',
  '--min-clients',
  '2',
];

describe('the participant page in Chromium', () => {
  it('signs in, trains on a picked CSV in its worker, and completes 2 rounds with a Node client', async () => {
    const built = defaultParticipantPageDir();
    expect(existsSync(`${built}/worker.js`), `${built} is missing: run npm run build first`).toBe(true);
    const f = (federation = await prepareFederation(2, 300));
    const [web, node] = f.sites as [(typeof f.sites)[0], (typeof f.sites)[0]];
    const server = f.startServer(RUN);
    await waitFor(() => server.output.includes('"event":"listening"'), 60_000, 'the server to listen');

    browser = await launchChromium({ trustCertificates: [join(f.tlsDir, 'server.crt')] });
    const participant = await openParticipant(browser);
    const { page } = participant;
    const requests: { url: string; body: string }[] = [];
    page.on('request', (r) => requests.push({ url: r.url(), body: r.postData() ?? '' }));

    await page.goto(`https://127.0.0.1:${f.port}/join`);
    await expect.poll(() => page.textContent('.promise')).toContain('never uploaded');
    await page.fill('#client-id', web.id);
    await page.fill('#token', web.token);
    await page.click('#login');
    await page.waitForSelector('#data-files', { state: 'visible', timeout: 60_000 });
    // The token went to sessionStorage, not the address bar.
    expect(page.url()).not.toContain(web.token);
    await page.setInputFiles('#data-files', web.csv);
    await page.click('#start');
    await page.waitForFunction(() => document.body.dataset.state === 'waiting', null, { timeout: 60_000 });
    expect(await page.textContent('#backend')).toBe('wasm');
    f.startClient(node);

    await page.waitForFunction(() => document.body.dataset.state === 'finished', null, { timeout: 120_000 });
    expect(await server.exited, server.output).toBe(0);
    // Each of the page's results reported what it cost and the device it ran on, as a Node client's do.
    const webResults = clientResults(server.output).filter((r) => r.clientId === web.id);
    expect(webResults).toHaveLength(2);
    for (const { resources } of webResults) {
      expect(resources?.fitMs).toBeGreaterThanOrEqual(0);
      expect(resources?.device).toMatchObject({
        platform: expect.stringMatching(/^browser-/),
        backend: 'wasm',
      });
    }
    expect(participant.errors).toEqual([]);
    expect(await page.evaluate(() => document.body.dataset.round)).toBe('2');
    expect(await page.textContent('#round')).toBe('2');
    expect(await page.textContent('#cached-round')).toBe('2');
    expect(Number(await page.textContent('#bytes-sent'))).toBeGreaterThan(0);
    expect(Number(await page.textContent('#bytes-received'))).toBeGreaterThan(0);
    expect(JSON.parse((await page.textContent('#metrics'))!)).toMatchObject({
      fit: { round: 2, loss: expect.any(Number), accuracy: expect.any(Number) },
    });

    // The picked file, the model cache and the ledger stayed in this browser until Leave, which deletes them.
    const databases = () => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    expect(await databases()).toEqual([`flotilla-${web.id}`]);
    await page.click('#leave');
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 60_000 });
    expect(await databases()).toEqual([]);

    // Nothing the page requested carried the file: its rows appear in no URL and no request body.
    const rows = (await readFile(web.csv, 'utf8')).split('\n').slice(1, 20).filter(Boolean);
    for (const r of requests) for (const row of rows) expect(r.url + r.body).not.toContain(row);
    expect(requests.every((r) => new URL(r.url).pathname.startsWith('/join'))).toBe(true);

    const storage = SqliteStorage.open(f.db);
    const rounds = await storage.rounds('default');
    const initial = await storage.initialParams('default');
    const final = (await storage.latestCheckpoint('default'))!;
    await storage.close();
    expect(
      rounds.map((r) => (r.record as unknown as { participants: string[] }).participants.sort()),
    ).toEqual([
      [web.id, node.id],
      [web.id, node.id],
    ]);

    // The same run in simulation, both clients trained by the Node trainer on their files (data seed 0).
    const config = serverConfigFromOptions(readServerOptions(f.serverArgs(RUN).slice(1)));
    const clients = await Promise.all(
      [web, node].map(async (s) => ({
        descriptor: { id: s.id },
        trainer: (await strokeTrainer(s.csv, 'tabular-mlp', 0)).trainer,
      })),
    );
    const simulated = await new RoundEngine({
      pool: new InProcessPool(new RuntimeClientHost(clients)),
      strategy: createStrategy(config.strategy),
      config: config.engine,
    }).run({ initialParams: initial });
    // Bit for bit: the same parsing, split, preprocessing and XNNPACK kernels in the worker as in Node, and a sum of
    // two updates does not depend on their arrival order.
    expect(Array.from(final.params.data)).toEqual(Array.from(simulated.params.data));
  }, 240_000);
});

/**
 * The participant page in headless Chromium (issue 12), on the page `npm run build` ships (dist/web/join):
 * - weight: what the page downloads (page.js, the training worker with TF.js, the wasm binary Chromium picks), raw
 *   and gzip, next to the client runtime alone (`flotilla/browser` bundled without a trainer, so without TF.js);
 * - time from opening /join to connected and to the first round answered, against a real TLS server on 127.0.0.1
 *   (sign-in and file pick are scripted, so this is the page's own cost: scripts, wasm, WebCrypto, handshake);
 * - memory: JS heap of the page and of its training worker after forced GC, around round 10 and around round 100
 *   of one 110-round run of a small tabular model (TF.js tensors that leak would grow the worker's heap).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { generateStrokeCohort, writeStrokeCsv } from '../src/data/index.js';
import { createCertificates, startServer } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { ROOT } from './browser-training.js';
import { launchChromium, trustFlag } from './browser/chromium.js';
import { HeapProbe, type HeapSample } from './browser/heap.js';

export const name = 'browser-page';

const ROUNDS = 110;
const PAGE_DIR = `${ROOT}dist/web/join/`;

function weight(bytes: Uint8Array) {
  return { bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
}

async function bundleWeight() {
  const file = async (f: string) => weight(await readFile(PAGE_DIR + f));
  const clientOnly = await build({
    entryPoints: [`${ROOT}src/public/browser.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    minify: true,
    write: false,
    metafile: true,
    conditions: ['flotilla-source'],
    logLevel: 'warning',
  });
  const inputs = Object.keys(clientOnly.metafile.inputs);
  return {
    'page.js': await file('page.js'),
    'worker.js (client runtime + TF.js + trainer)': await file('worker.js'),
    'wasm/tfjs-backend-wasm-simd.wasm (what Chromium loads)': await file('wasm/tfjs-backend-wasm-simd.wasm'),
    'client runtime alone (flotilla/browser, no TF.js)': {
      ...weight(clientOnly.outputFiles[0]!.contents),
      includesTfjs: inputs.some((i) => i.includes('@tensorflow')),
    },
  };
}

const state = (page: Page) => page.evaluate(() => document.body.dataset['state'] ?? '');
const answered = (page: Page) => page.evaluate(() => Number(document.body.dataset['round'] ?? 0));

async function waitRound(page: Page, round: number): Promise<void> {
  await page.waitForFunction((r) => Number(document.body.dataset['round'] ?? 0) >= r, round, {
    timeout: 300_000,
    polling: 20,
  });
}

/**
 * `count` heap samples taken back to back once the page answered round `from`, and the smallest of each kind (a
 * sample may land mid-training, with the round's tensors alive); the rounds they were taken at are reported.
 */
async function heapAround(page: Page, probe: HeapProbe, from: number, count: number) {
  await waitRound(page, from);
  const samples: (HeapSample & { round: number })[] = [];
  for (let i = 0; i < count; i++) samples.push({ round: await answered(page), ...(await probe.sample()) });
  return {
    rounds: samples.map((s) => s.round),
    pageBytes: Math.min(...samples.map((s) => s.page)),
    workerBytes: Math.min(...samples.map((s) => s.workers)),
  };
}

async function pageRun() {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-page-'));
  const tls = join(dir, 'tls');
  await createCertificates(tls, { hosts: ['127.0.0.1'], clients: [] });
  const dbPath = join(dir, 'server.db');
  const storage = SqliteStorage.open(dbPath);
  const { token } = await storage.addClient('bench-page');
  await storage.close();
  const csv = join(dir, 'site.csv');
  await writeStrokeCsv(csv, generateStrokeCohort({ size: 1000, seed: 1, profile: 'general' }));
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath,
    tls: { cert: join(tls, 'server.crt'), key: join(tls, 'server.key'), requireClientCert: false },
    runId: 'bench-page',
    model: { name: 'tabular-mlp', inputShape: [21], numClasses: 2, seed: 1 },
    strategy: 'fedavg',
    engine: { rounds: ROUNDS, batchSize: 32, learningRate: 0.05, evaluateEvery: 0 },
    minClients: 1,
  });
  const browser = await launchChromium([await trustFlag([join(tls, 'server.crt')])]);
  try {
    const page = await browser.newPage();
    const probe = await HeapProbe.attach(page);
    const opened = performance.now();
    await page.goto(`https://127.0.0.1:${server.port}/join`);
    await page.fill('#client-id', 'bench-page');
    await page.fill('#token', token);
    await page.click('#login');
    await page.waitForSelector('#data-files', { state: 'visible' });
    await page.setInputFiles('#data-files', csv);
    await page.click('#start');
    await page.waitForFunction(() => ['waiting', 'training'].includes(document.body.dataset['state'] ?? ''));
    const connectedMs = performance.now() - opened;
    await waitRound(page, 1);
    const firstRoundMs = performance.now() - opened;
    const round10 = await heapAround(page, probe, 10, 3);
    const round100 = await heapAround(page, probe, 100, 3);
    await page.waitForFunction(() => document.body.dataset['state'] === 'finished', undefined, {
      timeout: 300_000,
    });
    return {
      timeToConnectedMs: Math.round(connectedMs),
      timeToFirstRoundAnsweredMs: Math.round(firstRoundMs),
      finalState: await state(page),
      heap: {
        model: 'tabular-mlp on 800 training rows, one epoch of batch 32 per round',
        round10,
        round100,
        workerGrowth: round100.workerBytes / round10.workerBytes - 1,
        pageGrowth: round100.pageBytes / round10.pageBytes - 1,
        flatWithin10Percent:
          round100.workerBytes <= 1.1 * round10.workerBytes && round100.pageBytes <= 1.1 * round10.pageBytes,
      },
    };
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<object> {
  return { weight: await bundleWeight(), ...(await pageRun()) };
}

/**
 * The operator's dashboard under load (issue 13): time to first paint and time until the page shows the whole run,
 * in headless Chromium against a real server (startServer, in this process) on a SQLite database seeded through the
 * Storage API: a run of 1,000 committed rounds (10 clients), and a run with 1,000 registered clients that all took
 * part in its 10 rounds. Both runs are complete, so the server serves them without training.
 *
 * - firstPaintMs: the page's first-contentful-paint (Performance API), from navigation start.
 * - snapshotReceivedMs: from navigation start until the stream's snapshot arrived (admin check, server, network).
 * - renderMs: from the snapshot's arrival to the frame after every chart and the client table were drawn.
 * - readyMs: from navigation start until the test saw every chart with every round and every client's row.
 * - snapshotBytes: the size of the state the stream starts with.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { initBackend, initialParameters } from '../src/ml/index.js';
import { launchChromium } from './browser/chromium.js';

export const name = 'dashboard';

const ADMIN = 'bench-admin-token';
const MODEL = { name: 'logreg' as const, inputShape: [4], numClasses: 2, seed: 1 };

/** A committed round's record as the engine writes it, with plausible numbers. */
function record(round: number, participants: readonly string[]) {
  const loss = 0.7 * Math.exp(-round / 300) + 0.05 * Math.sin(round);
  return {
    round,
    attempts: 1,
    selected: participants,
    participants,
    failures: [],
    failedAttempts: [],
    train: { numExamples: participants.length * 100, metrics: { loss: loss + 0.02 } },
    federatedEvaluation: {
      round,
      selected: participants.length,
      participants: participants.length,
      numExamples: participants.length * 20,
      loss,
      metrics: { accuracy: 1 - loss / 2, aucRoc: 0.6 + 0.3 * (1 - Math.exp(-round / 200)) },
      failures: [],
    },
    durations: { fitMs: 900, aggregationMs: 5, evaluationMs: 80, totalMs: 1000 },
    bytesSent: 64 * participants.length,
    bytesReceived: 64 * participants.length,
  };
}

async function seed(db: string, rounds: number, clients: number): Promise<void> {
  const storage = SqliteStorage.open(db);
  const ids = Array.from({ length: clients }, (_, i) => `site-${String(i).padStart(4, '0')}`);
  // Tokens are scrypt hashes: register in batches, as an operator's script would.
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(ids.slice(i, i + 50).map((id) => storage.addClient(id)));
  await initBackend('cpu');
  const params = initialParameters(MODEL.name, MODEL, MODEL.seed);
  await storage.createRun({
    runId: 'bench',
    name: 'bench',
    strategy: 'fedavg',
    config: {},
    initialParams: params,
    keepCheckpoints: 1,
  });
  for (let round = 1; round <= rounds; round++) {
    await storage.commitRound('bench', {
      record: record(round, ids),
      params,
      strategyState: { json: null, tensors: {} },
    });
  }
  await storage.updateRunStatus('bench', 'completed');
  await storage.close();
}

interface Measurement {
  readonly rounds: number;
  readonly clients: number;
  readonly firstPaintMs: number;
  /** When the stream's snapshot arrived (sign-in check, server, network). */
  readonly snapshotReceivedMs: number;
  /** From the snapshot's arrival to the next frame after charts and table were drawn. */
  readonly renderMs: number;
  readonly readyMs: number;
  readonly snapshotBytes: number;
}

async function measure(rounds: number, clients: number): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-dashboard-'));
  const db = join(dir, 'server.db');
  await seed(db, rounds, clients);
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dbPath: db,
    adminToken: ADMIN,
    runId: 'bench',
    model: MODEL,
    strategy: 'fedavg',
    engine: { rounds },
    minClients: 1,
  });
  const browser = await launchChromium();
  try {
    await server.finished;
    const origin = `http://127.0.0.1:${server.port}`;
    const snapshotBytes = Buffer.byteLength(JSON.stringify(server.live.state));
    const context = await browser.newContext();
    // Signed in already (the token in sessionStorage, as after the sign-in form).
    await context.addInitScript((token) => sessionStorage.setItem('flotilla.adminToken', token), ADMIN);
    const page = await context.newPage();
    await page.goto(`${origin}/dashboard`);
    const ready = await page.waitForFunction(
      ({ rounds, clients }) =>
        Number(document.querySelector('#loss-chart')?.getAttribute('data-points')) === rounds &&
        document.querySelectorAll('#clients-table tbody tr').length === clients
          ? performance.now()
          : false,
      { rounds, clients },
      { timeout: 120_000, polling: 'raf' },
    );
    const readyMs = (await ready.jsonValue()) as number;
    const marks = await page.evaluate(() =>
      ['first-contentful-paint', 'snapshot-received', 'snapshot-rendered'].map(
        (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN,
      ),
    );
    const [firstPaintMs, snapshotReceivedMs, snapshotRenderedMs] = marks.map(Math.round) as [
      number,
      number,
      number,
    ];
    await context.close();
    return {
      rounds,
      clients,
      firstPaintMs,
      snapshotReceivedMs,
      renderMs: snapshotRenderedMs - snapshotReceivedMs,
      readyMs: Math.round(readyMs),
      snapshotBytes,
    };
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<object> {
  return {
    thousandRounds: await measure(1000, 10),
    thousandClients: await measure(10, 1000),
  };
}

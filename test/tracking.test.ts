/**
 * Run tracking as a user meets it: `flotilla simulate` records its runs in .flotilla/runs.db (real SQLite, real
 * processes), `flotilla runs list/show/compare/export` read them like a server's, and `flotilla report` writes one
 * HTML file that real Chromium renders from a file:// URL with the network off: every chart drawn, no request
 * beyond the file itself, no console error.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../src/storage/sqlite/index.js';

const run = promisify(execFile);
// The built command (npm test builds before it tests): a process per command without transpiling the sources.
const CLI = new URL('../bin/flotilla.js', import.meta.url).pathname;
let dir: string;
/** The id `simulate` gave the first run (the tests below run in order on the runs of the first). */
let id: string;
/** Several processes per test on a busy 2-core machine: a generous bound, never a pace. */
const SLOW = 600_000;

function flotilla(...args: string[]) {
  return flotillaIn(dir, ...args);
}

async function flotillaIn(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      cwd,
      maxBuffer: 64 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Three hospitals, three quick rounds: a binary model, so the report has ROC and PR curves of the stroke class. */
const STROKE = [
  'simulate',
  '--dataset',
  'stroke',
  '--partition',
  'attribute',
  '--clients',
  '3',
  '--model',
  'tabular-mlp',
  '--rounds',
  '3',
  '--batch-size',
  '64',
  '--optimizer',
  'adam',
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-tracking-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('run tracking', () => {
  it(
    'records simulations in .flotilla/runs.db through the storage a server writes',
    async () => {
      const first = await flotilla(...STROKE, '--lr', '0.01');
      expect(first.code, first.stderr).toBe(0);
      id = /Run (sim-\d{8}-\d{6}-[0-9a-f]{4}) recorded in \.flotilla\/runs\.db/.exec(first.stdout)?.[1] ?? '';
      expect(id, first.stdout).not.toBe('');
      const second = await flotilla(...STROKE, '--lr', '0.05', '--run-id', 'fast-lr');
      expect(second.code, second.stderr).toBe(0);
      // A run id is never reused: the second run with it is refused before training.
      const again = await flotilla(...STROKE, '--run-id', 'fast-lr');
      expect(again.code).toBe(2);
      expect(again.stderr.trim()).toMatch(/run id "fast-lr" is already recorded in \.flotilla\/runs\.db/);

      // Not recorded: the taken id does not matter, and the database keeps its two runs.
      const unrecorded = await flotilla(...STROKE, '--rounds', '1', '--run-id', 'fast-lr', '--no-record');
      expect(unrecorded.code, unrecorded.stderr).toBe(0);
      expect(unrecorded.stdout).not.toMatch(/recorded in/);

      // The same storage a server writes: its rounds, the final model's checkpoint, status and diagnostics.
      const storage = SqliteStorage.open(join(dir, '.flotilla/runs.db'), { mustExist: true });
      try {
        const runs = await storage.listRuns();
        expect(runs.map((r) => [r.runId, r.status, r.lastRound])).toEqual([
          ['fast-lr', 'completed', 3],
          [id, 'completed', 3],
        ]);
        expect(await storage.checkpointRounds('fast-lr')).toEqual([3]);
        const [diagnostics] = await storage.events('fast-lr', { kind: 'final-diagnostics' });
        expect(diagnostics!.data).toMatchObject({
          numExamples: 1278,
          numClasses: 2,
          averaging: 'positive-class',
        });
      } finally {
        await storage.close();
      }
    },
    SLOW,
  );

  it(
    'lists and compares them, across databases too',
    async () => {
      const list = await flotilla('runs', 'list');
      expect(list.stdout).toMatch(/^fast-lr +completed +3 +fedavg/m);
      const compare = await flotilla(
        'runs',
        'compare',
        id,
        'fast-lr',
        '--target',
        'loss=10,accuracy=1.5',
        '--json',
      );
      expect(compare.code, compare.stderr).toBe(0);
      const comparison = JSON.parse(compare.stdout);
      expect(comparison.settings).toEqual([{ key: 'settings.learningRate', values: [0.01, 0.05] }]);
      expect(comparison.metrics.map((m: { metric: string }) => m.metric)).toContain('server.aucRoc');
      // Every loss is below 10 from round 1; no accuracy reaches 1.5.
      expect(comparison.targets).toEqual([
        { target: 'loss <= 10', columns: ['server.loss', 'server.loss'], rounds: [1, 1] },
        { target: 'accuracy >= 1.5', columns: ['server.accuracy', 'server.accuracy'], rounds: [null, null] },
      ]);
      const text = await flotilla('runs', 'compare', id, 'fast-lr', '--target', 'accuracy=1.5');
      expect(text.stdout).toMatch(/^settings\.learningRate +0\.01 +0\.05$/m);
      expect(text.stdout).toMatch(/^accuracy >= 1\.5 +not reached +not reached$/m);

      // A run of another database (as a deployment's server.db would be), named as written.
      await copyFile(join(dir, '.flotilla/runs.db'), join(dir, 'other.db'));
      const across = await flotilla('runs', 'compare', 'fast-lr@other.db', id, '--json');
      expect(across.code, across.stderr).toBe(0);
      expect(JSON.parse(across.stdout).runs.map((r: { runId: string }) => r.runId)).toEqual([
        'fast-lr@other.db',
        id,
      ]);
      expect((await flotilla('runs', 'compare', 'nope@other.db', id)).stderr).toMatch(
        /no run "nope" in other\.db/,
      );
    },
    SLOW,
  );

  it(
    'exports a run as CSV and JSON',
    async () => {
      expect((await flotilla('runs', 'export', 'fast-lr', '--format', 'csv', '--out', 'r.csv')).code).toBe(0);
      const csv = (await readFile(join(dir, 'r.csv'), 'utf8')).trim().split('\r\n');
      expect(csv).toHaveLength(4);
      expect(csv[0]!.split(',').slice(0, 4)).toEqual(['round', 'attempts', 'selected', 'participants']);
      expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['1', '2', '3']);
      const json = JSON.parse((await flotilla('runs', 'export', 'fast-lr')).stdout);
      expect(json.run.runId).toBe('fast-lr');
      expect(json.rounds).toHaveLength(3);
    },
    SLOW,
  );

  it(
    'writes a report that Chromium renders offline',
    async () => {
      const report = await flotilla('report', 'fast-lr', '--out', 'report.html');
      expect(report.code, report.stderr).toBe(0);
      await expectRenders(join(dir, 'report.html'));
    },
    SLOW,
  );

  it(
    'refuses bad input with one line',
    async () => {
      // Where nothing was recorded, the default database is not created empty: the command says why.
      const nothing = await flotillaIn(await mkdtemp(join(dir, 'empty-')), 'runs', 'list');
      expect(nothing.code).toBe(2);
      expect(nothing.stderr.trim()).toMatch(/no runs recorded here: \.flotilla\/runs\.db does not exist/);
      const missing = await flotilla('runs', 'list', '--db', 'nope.db');
      expect(missing.code).toBe(2);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      const target = await flotilla('runs', 'compare', 'a', 'b', '--target', 'accuracy', '--db', 'nope.db');
      expect(target.stderr.trim()).toMatch(/--target: "accuracy" is not METRIC=NUMBER/);
      expect((await flotilla('runs', 'compare', 'only-one')).stderr).toMatch(/usage: flotilla runs/);
      expect((await flotilla('report')).stderr).toMatch(/usage: flotilla report RUN/);
    },
    SLOW,
  );
});

/** Opens the report offline in Chromium: all seven charts drawn, no request but the file, no console error. */
async function expectRenders(file: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ offline: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.body.dataset['charts'] !== undefined, undefined, {
      timeout: 60_000,
    });
    expect(await page.evaluate(() => document.body.dataset['reportError'])).toBeUndefined();
    // Loss, accuracy/AUC, bytes, round time; ROC, precision-recall, calibration.
    expect(await page.evaluate(() => document.body.dataset['charts'])).toBe('7');
    for (const id of ['loss', 'scores', 'bytes', 'time', 'roc', 'pr', 'calibration']) {
      expect(await page.locator(`#chart-${id} canvas`).count(), id).toBe(1);
    }
    expect(await page.locator('table.confusion td').count()).toBe(4);
    expect(await page.locator('text=1278 held-out examples').count()).toBe(1);
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
  } finally {
    await browser.close();
  }
}

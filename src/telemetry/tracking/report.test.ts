/**
 * The report of a run as a server records it (no final-model diagnostics, a DP ledger, a failed attempt), built from
 * a real SQLite storage: the curves it has, the per-client table from the round records, and a page whose CSP names
 * exactly the scripts and styles it inlines.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import { modelForRound } from '../../storage/sqlite/test-support/model.js';
import { reportData } from './report-data.js';
import { renderReport } from './report-html.js';

async function serverLikeRun() {
  const storage = SqliteStorage.open(':memory:');
  await storage.createRun({
    runId: 'default',
    name: 'default',
    strategy: 'dp-fedavg',
    config: { engine: { rounds: 2 }, privacy: { noiseMultiplier: 1.1 } },
    initialParams: modelForRound(0, 20),
  });
  const failure = { clientId: 'c', cause: 'timeout', message: 'no result in time' };
  for (const round of [1, 2]) {
    const record = {
      round,
      attempts: round,
      selected: ['a', 'b', 'c'],
      participants: ['a', 'b'],
      failures: [failure],
      failedAttempts:
        round === 2 ? [{ attempt: 1, selected: ['c'], reason: 'too few', failures: [failure] }] : [],
      train: { numExamples: 100, metrics: { loss: 1 / round } },
      federatedEvaluation: { loss: NaN, numExamples: 0, metrics: {} },
      durations: { totalMs: 10, fitMs: 8, aggregationMs: 1, evaluationMs: 1 },
      bytesSent: 1000,
      bytesReceived: 900,
      privacy: {
        mechanism: 'dp-fedavg',
        epsilon: round * 0.5,
        delta: 1e-5,
        budget: { epsilon: 2, delta: 1e-5 },
      },
    };
    await storage.commitRound('default', {
      record,
      params: modelForRound(round, 20),
      strategyState: { json: null, tensors: {} },
    });
  }
  await storage.recordEvent('default', { kind: 'attempt-failed', round: 2, data: { reason: 'too few <b>' } });
  const run = (await storage.getRun('default'))!;
  const data = reportData(run, await storage.rounds('default'), await storage.events('default'));
  await storage.close();
  return data;
}

describe('run report', () => {
  it('has curves for what the rounds recorded, privacy included, and clients from the records', async () => {
    const data = await serverLikeRun();
    expect(data.curves.map((c) => c.id)).toEqual(['loss', 'privacy', 'bytes', 'time']);
    const privacy = data.curves.find((c) => c.id === 'privacy')!;
    expect(privacy.series.map((s) => [s.label, s.values])).toEqual([
      ['epsilon spent', [0.5, 1]],
      ['budget', [2, 2]],
    ]);
    // The NaN loss of an evaluation nobody answered is a gap, not a point: the series has nothing else, so it goes.
    expect(data.curves[0]!.series.map((s) => s.label)).toEqual(['train']);
    expect(data.diagnostics).toBeUndefined();
    expect(data.clients).toEqual([
      { clientId: 'a', selected: 2, participated: 2, failures: {} },
      { clientId: 'b', selected: 2, participated: 2, failures: {} },
      // Twice in the committed attempts, once in round 2's failed attempt.
      { clientId: 'c', selected: 2, participated: 0, failures: { timeout: 3 } },
    ]);
  });

  it('renders a page whose CSP allows exactly its inline scripts and styles, with text escaped', async () => {
    const html = renderReport(await serverLikeRun(), {
      uplotJs: 'var uPlot = 1;\n//# sourceMappingURL=x.map',
      uplotCss: '.u{}',
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/
      .exec(html)![1]!
      .replace(/&#39;/g, "'");
    expect(csp).toMatch(
      /^default-src 'none'; script-src 'sha256-\S+' 'sha256-\S+'; style-src 'sha256-\S+'; img-src data:$/,
    );
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => hash(m[1]!));
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => hash(m[1]!));
    expect(scripts).toHaveLength(2);
    expect(csp).toContain(`script-src ${scripts.join(' ')};`);
    expect(csp).toContain(`style-src ${styles.join(' ')};`);
    expect(html).not.toContain('sourceMappingURL');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('too few &lt;b&gt;');
    expect(html).toContain('did not record its final model');
  });
});

/**
 * Reports and progress that do not mislead, as a user reading a log file sees them: every long command spawned with
 * piped (non-TTY) output prints progress lines with an ETA as it goes, and the classification report shows each
 * test set's positives, a majority-class row, "no better" marks, AUC intervals and whether differences are noise.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flotilla, prepareFederation, waitFor, type Federation, type Proc } from './support/federation.js';

const CONFIG = new URL('../examples/hospitals/config.yaml', import.meta.url).pathname;

let federation: Federation | undefined;
let dir: string | undefined;
const started: Proc[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await federation?.stop();
  federation = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function run(args: string[]): Proc {
  const p = flotilla(args);
  started.push(p);
  return p;
}

describe('progress off a terminal', () => {
  it('simulate --compare: a line per round with ETA, baselines progress, and the full report', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-reports-'));
    const json = join(dir, 'history.json');
    const p = run(['simulate', CONFIG, '--rounds', '2', '--json', json]);
    // Progress arrives while the run goes on, not only at its end.
    await waitFor(() => /^round 1\/2 {2}clients 3\/3 .* eta /m.test(p.output), 120_000, 'round 1');
    expect(await p.exited, p.output).toBe(0);
    const out = p.output;
    expect(out).toMatch(/^baselines 4\/4 trained \(local-only C\) {2}elapsed \S+ {2}eta 0ms$/m);
    // After 2 rounds the model predicts "no stroke" for everyone: exactly the majority accuracy, marked.
    expect(out).toMatch(/^round 2\/2 .* acc 93\.66% \(majority 93\.66%: no better\)/m);
    expect(out).toMatch(/Final model \(round 2\): test accuracy 0\.9366 \(majority 0\.9366: no better\)/);
    expect(out).toMatch(/AUC-ROC 0\.\d{4} \[0\.\d{3}, 0\.\d{3}\]/);
    // A majority-class row and positives for every test set, "no better" marks, intervals on every AUC.
    for (const [set, positives] of [
      ['A', '49 \\(11\\.5%\\)'],
      ['B', '7 \\(2\\.0%\\)'],
      ['C', '25 \\(5\\.0%\\)'],
      ['pooled', '81 \\(6\\.3%\\)'],
    ]) {
      expect(out).toMatch(
        new RegExp(`^majority class +all \\(pooled data\\) +${set} +\\d+ +${positives} +n/a +0\\.5000`, 'm'),
      );
    }
    expect(out).toMatch(
      /^federated +all \(federated\) +pooled .* 0\.\d{4} \[0\.\d{3}, 0\.\d{3}\] .* 0\.9366 no better$/m,
    );
    expect(out).toMatch(/^central +all \(pooled data\) +pooled .*\[/m);
    // The paired differences, one per compared pair, each saying whether it is within the noise.
    const differences = out.match(/^(central|local-only) .* (within|beyond) noise +[-+]\d/gm) ?? [];
    expect(differences).toHaveLength(4 + 3 * 2);

    // The history JSON keeps the comparison's fields and adds the new ones.
    const { comparison, rounds } = JSON.parse(await readFile(json, 'utf8'));
    expect(comparison.rows[0]).toMatchObject({ model: 'federated', evaluatedOn: 'A', numExamples: 425 });
    expect(comparison.rows[0].metrics.aucRoc).toBeGreaterThan(0.5);
    expect(comparison.rows[0].aucRocInterval.low).toBeLessThan(comparison.rows[0].metrics.aucRoc);
    expect(comparison.testSets).toContainEqual({
      evaluatedOn: 'B',
      numExamples: 350,
      positives: 7,
      prevalence: 0.02,
      majorityAccuracy: 0.98,
    });
    expect(comparison.differences).toHaveLength(10);
    expect(comparison.bootstrap).toEqual({ resamples: 1000, level: 0.95, seed: 7 });
    expect(rounds[1].serverEvaluation.metrics).toMatchObject({ prevalence: 81 / 1278 });
  }, 240_000);

  it('train-central: a line per epoch with ETA', async () => {
    const p = run(['train-central', CONFIG, '--epochs', '3']);
    await waitFor(() => /^epoch 1\/3 {2}train loss .* eta \S+$/m.test(p.output), 120_000, 'epoch 1');
    expect(await p.exited, p.output).toBe(0);
    expect(p.output).toMatch(
      /^epoch 3\/3 .* test acc 0\.\d{4} \(majority 0\.\d{4}(: no better)?\) .* eta 0ms$/m,
    );
    expect(p.output).toMatch(
      /Central model: test accuracy .*AUC-ROC 0\.\d{4} \[0\.\d{3}, 0\.\d{3}\] \(95% CI, 81 \(6\.3%\) positives\)/,
    );
  }, 240_000);

  it('server: a JSON log line per committed round with the ETA', async () => {
    const f = (federation = await prepareFederation(2, 200));
    const server = f.startServer(['--rounds', '3', '--min-clients', '2', '--seed', '3']);
    for (const site of f.sites) f.startClient(site);
    expect(await server.exited, server.output).toBe(0);
    const rounds = server.output
      .split('\n')
      .filter((line) => line.includes('"event":"round-committed"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rounds.map((r) => [r['round'], r['rounds']])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(rounds.every((r) => typeof r['elapsedMs'] === 'number' && typeof r['etaMs'] === 'number')).toBe(
      true,
    );
    expect(rounds[2]!['etaMs']).toBe(0);
    expect(rounds[0]).toMatchObject({ participants: 2, selected: 2 });
  }, 240_000);

  it('federation: round lines name the per-party mean and give an ETA', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-reports-'));
    const p = run(['federation', CONFIG, '--rounds', '2', '--no-compare', '--dir', dir]);
    await waitFor(() => /^round 1\/2 .* eta \S+$/m.test(p.output), 120_000, 'round 1');
    expect(await p.exited, p.output).toBe(0);
    expect(p.output).toMatch(
      /^round 2\/2 {2}3\/3 parties {2}train loss \S+ {2}mean of parties' held-out: loss \S+ acc 0\.\d{4} \(majority 0\.\d{4}(: no better)?\) AUC \S+ {2}\S+ {2}eta 0ms$/m,
    );
  }, 240_000);
});

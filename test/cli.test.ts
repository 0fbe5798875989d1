/**
 * The command line as a user meets it: the built `flotilla` binary in a child process. Bad input of every kind must
 * end with one line naming the problem, exit code 2 and no stack trace; good input must run and be reproducible.
 * `npm test` builds dist/ before running the suite.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = new URL('../bin/flotilla.js', import.meta.url).pathname;
let dir: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function flotilla(...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: dir, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function expectOneLineError(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.code).toBe(2);
  const lines = outcome.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
});

describe('flotilla: bad input gets one line and exit code 2', () => {
  it('a config with an unknown key', async () => {
    writeFileSync(join(dir, 'typo.yaml'), 'dataset: mnist\nlocalEpoch: 2\n');
    expectOneLineError(
      await flotilla('simulate', 'typo.yaml'),
      /unknown key "localEpoch" \(did you mean "localEpochs"\?\)/,
    );
  });

  it('a negative client count, in the file or as a flag', async () => {
    writeFileSync(join(dir, 'negative.json'), '{"clients": -5}');
    expectOneLineError(await flotilla('simulate', 'negative.json'), /"clients" must be >= 1, got -5/);
    expectOneLineError(await flotilla('simulate', '--clients', '-5'), /--clients.*must be >= 1/);
  });

  it('a config file that is not YAML, and one that does not exist', async () => {
    writeFileSync(join(dir, 'broken.yaml'), 'dataset: [mnist\n');
    expectOneLineError(await flotilla('simulate', 'broken.yaml'), /broken\.yaml: not valid YAML or JSON/);
    expectOneLineError(
      await flotilla('simulate', 'missing.yaml'),
      /cannot read config file missing\.yaml: no such file/,
    );
  });

  it('a CSV with a broken row names its line', async () => {
    writeFileSync(
      join(dir, 'schema.yaml'),
      'label: y\ncolumns:\n  - { name: a, kind: numeric }\n  - { name: b, kind: categorical }\n',
    );
    const rows = ['a,b,y', ...Array.from({ length: 40 }, (_, i) => `${i},${i % 2 ? 'u' : 'v'},${i % 2}`)];
    rows.splice(17, 0, '3,u');
    writeFileSync(join(dir, 'broken.csv'), `${rows.join('\n')}\n`);
    const outcome = await flotilla(
      'simulate',
      '--dataset',
      'csv',
      '--data-path',
      'broken.csv',
      '--schema',
      'schema.yaml',
      '--model',
      'tabular-mlp',
      '--clients',
      '2',
    );
    expectOneLineError(outcome, /broken\.csv.*line 18/);
  });

  it('a corrupt frame', async () => {
    writeFileSync(join(dir, 'garbage.bin'), Buffer.from('FLTL\x01\x00\x40\x00garbage-garbage'));
    expectOneLineError(
      await flotilla('inspect', 'garbage.bin'),
      /garbage\.bin: frame header of \d+ bytes exceeds the limit/,
    );
    // A valid frame cut short is reported as truncated.
    await flotilla(
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
      '1',
      '--save-model',
      'whole.bin',
    );
    const whole = readFileSync(join(dir, 'whole.bin'));
    writeFileSync(join(dir, 'cut.bin'), whole.subarray(0, whole.length - 7));
    expectOneLineError(
      await flotilla('inspect', 'cut.bin'),
      /cut\.bin: frame has \d+ bytes but declares \d+/,
    );
  });

  it('an unknown command or option', async () => {
    const unknown = await flotilla('simulat');
    expect(unknown.code).toBe(2);
    expectOneLineError(
      await flotilla('simulate', '--rounds', '3', '--lrate', '0.1'),
      /unknown option --lrate/,
    );
  });
});

describe('flotilla simulate', () => {
  const common = [
    '--model',
    'tabular-mlp',
    '--rounds',
    '3',
    '--batch-size',
    '64',
    '--optimizer',
    'adam',
    '--lr',
    '0.01',
  ];

  it('runs the hospital federation, writes the history and a model that inspect reads back', async () => {
    const outcome = await flotilla(
      'simulate',
      '--dataset',
      'stroke',
      '--partition',
      'attribute',
      '--clients',
      '3',
      ...common,
      '--json',
      'h.json',
      '--save-model',
      'final.bin',
    );
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/Final model \(round 3\): test accuracy 0\.\d+, AUC-ROC/);
    const history = JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8'));
    expect(history.status).toBe('completed');
    expect(history.rounds.map((r: { round: number }) => r.round)).toEqual([1, 2, 3]);
    expect([...history.rounds[0].participants].sort()).toEqual(['A', 'B', 'C']);
    expect(history.partitions.clients.map((c: { size: number }) => c.size)).toEqual([1275, 1050, 1507]);
    const inspected = await flotilla('inspect', 'final.bin');
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/parameter frame/);
    expect(inspected.stdout).toMatch(/dense_0\/kernel/);
  });

  it('gives identical final parameters with 1 and 2 worker threads', async () => {
    const args = [
      'simulate',
      '--dataset',
      'mnist',
      '--model',
      'logreg',
      '--clients',
      '8',
      '--fraction',
      '0.5',
      '--rounds',
      '2',
      '--batch-size',
      '20',
      '--train-limit',
      '800',
    ];
    const one = await flotilla(...args, '--workers', '1', '--save-model', 'w1.bin');
    const two = await flotilla(...args, '--workers', '2', '--save-model', 'w2.bin');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(readFileSync(join(dir, 'w1.bin')).equals(readFileSync(join(dir, 'w2.bin')))).toBe(true);
  });
});

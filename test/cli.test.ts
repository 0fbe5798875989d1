/**
 * The command line as a user meets it: the built `flotilla` binary in a child process. Bad input of every kind must
 * end with one line naming the problem, exit code 2 and no stack trace; good input must run and be reproducible.
 * `npm test` builds dist/ before running the suite.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { commands } from '../src/cli/commands.js';
import { settingsJsonSchema } from '../src/cli/settings/index.js';
import { RUN_SCHEMA } from '../src/cli/settings/run-settings.js';
import { decodeParameters } from '../src/protocol/index.js';

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

/** A small MNIST run (8 logreg clients, half per round, 2 rounds, 800 digits) for comparing run modes. */
const SMALL_MNIST_RUN = [
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

  it("-h and --help print every command's help; after -- nothing is a flag", async () => {
    const asked = commands.flatMap((c) => [
      [c.name, '-h'],
      ...(c.name === 'simulate' ? [[c.name, '--help']] : []),
    ]);
    for (const [args, outcome] of await Promise.all(
      asked.map(async (a) => [a, await flotilla(...a)] as const),
    )) {
      expect(outcome.code, args.join(' ')).toBe(0);
      expect(outcome.stdout, args.join(' ')).toMatch(/Usage: flotilla /);
    }
    // After --, -h and --rounds are positionals: here, config file names.
    expectOneLineError(await flotilla('simulate', '--', '-h'), /cannot read config file -h: no such file/);
    expectOneLineError(
      await flotilla('simulate', '--rounds', '1', '--', '--rounds'),
      /cannot read config file --rounds: no such file/,
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
    expect(outcome.stdout).toMatch(
      /Final model \(round 3\): test accuracy 0\.\d+ \(majority 0\.\d+(: no better)?\), AUC-ROC 0\.\d+ \[/,
    );
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
    const args = SMALL_MNIST_RUN;
    const one = await flotilla(...args, '--workers', '1', '--save-model', 'w1.bin');
    const two = await flotilla(...args, '--workers', '2', '--save-model', 'w2.bin');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(readFileSync(join(dir, 'w1.bin')).equals(readFileSync(join(dir, 'w2.bin')))).toBe(true);
    // SCAFFOLD's c_i lives in each client's runtime: with 2 threads each client stays on one, so nothing changes.
    const scaffold = ['--strategy', 'scaffold', '--rounds', '3'];
    expect((await flotilla(...args, ...scaffold, '--workers', '1', '--save-model', 'c1.bin')).code).toBe(0);
    expect((await flotilla(...args, ...scaffold, '--workers', '2', '--save-model', 'c2.bin')).code).toBe(0);
    expect(readFileSync(join(dir, 'c1.bin')).equals(readFileSync(join(dir, 'c2.bin')))).toBe(true);
  });
});

describe('flotilla: secure and homomorphic aggregation', () => {
  const args = SMALL_MNIST_RUN;
  const model = (file: string) => decodeParameters(new Uint8Array(readFileSync(join(dir, file))));

  it('gives the plain model within the quantization error, identically on 1 and 2 worker threads', async () => {
    const secure = ['--secure-aggregation.quantization-bits', '16', '--secure-aggregation.max-weight', '200'];
    const plain = await flotilla(...args, '--save-model', 'plain.bin');
    const one = await flotilla(...args, ...secure, '--workers', '1', '--save-model', 's1.bin');
    const two = await flotilla(...args, ...secure, '--workers', '2', '--save-model', 's2.bin');
    expect([plain.code, one.code, two.code]).toEqual([0, 0, 0]);
    // The masks cancel exactly and the rounding is seeded: which thread served a client changes nothing.
    expect(readFileSync(join(dir, 's1.bin')).equals(readFileSync(join(dir, 's2.bin')))).toBe(true);
    const a = model('plain.bin').data;
    const b = model('s1.bin').data;
    const step = 2 / (2 ** 16 - 1);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeGreaterThan(0); // rounding happened
    expect(worst).toBeLessThan(2 * step); // one step per round at most
  });

  it("runs CKKS aggregation with a key made on the clients' side", async () => {
    const outcome = await flotilla(...args, '--homomorphic-aggregation', '--save-model', 'he.bin');
    expect(outcome.code).toBe(0);
    const a = model('plain.bin').data;
    const b = model('he.bin').data;
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(a[i]!));
    }
    expect(worst / scale).toBeLessThan(1e-5);
  });

  it('writes a key file that only its owner can read, and never overwrites one silently', async () => {
    const made = await flotilla('he', 'keygen', '--out', 'clients.he');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/CKKS N = 8192/);
    expect(statSync(join(dir, 'clients.he')).mode & 0o777).toBe(0o600);
    expectOneLineError(await flotilla('he', 'keygen', '--out', 'clients.he'), /exists; pass --force/);
  });

  it('makes identity keys and the roster that signed secure aggregation checks them against', async () => {
    for (const id of ['north', 'south']) {
      const made = await flotilla(
        'identity',
        'keygen',
        '--id',
        id,
        '--out',
        `${id}.id`,
        '--roster',
        'roster.json',
      );
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(new RegExp(`^${id} [0-9a-f]{64}\\n$`));
      expect(statSync(join(dir, `${id}.id`)).mode & 0o777).toBe(0o600);
    }
    const roster = JSON.parse(readFileSync(join(dir, 'roster.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(roster)).toEqual(['north', 'south']);
    expectOneLineError(
      await flotilla('identity', 'keygen', '--id', 'north', '--out', 'north.id'),
      /north.id exists; an identity key is never overwritten/,
    );
  });

  it('refuses a strategy that needs individual updates, and an inconsistent modulus', async () => {
    expectOneLineError(
      await flotilla(...args, '--strategy', 'krum', '--f', '1', '--secure-aggregation'),
      /strategy "krum" needs each client's update, but secure aggregation gives the server only their sum/,
    );
    expectOneLineError(
      await flotilla(
        ...args,
        '--secure-aggregation.quantization-bits',
        '24',
        '--secure-aggregation.max-weight',
        '1000',
      ),
      /the modulus 2\^32 cannot hold the sum/,
    );
  });
});

describe('flotilla: combinations that cannot work are refused before any data is loaded', () => {
  const run = (...flags: string[]) => flotilla(...SMALL_MNIST_RUN, ...flags);

  it('a strategy whose math assumes plain SGD local steps, with Adam or momentum', async () => {
    for (const strategy of ['scaffold', 'qfedavg', 'fednova']) {
      expectOneLineError(
        await run('--strategy', strategy, '--optimizer', 'adam', '--learning-rate', '0.001'),
        new RegExp(
          `strategy "${strategy}" assumes plain SGD local steps.*optimizer is "adam"; set optimizer to "sgd"`,
        ),
      );
    }
    for (const strategy of ['scaffold', 'qfedavg']) {
      expectOneLineError(
        await run('--strategy', strategy, '--momentum', '0.9'),
        new RegExp(
          `strategy "${strategy}" assumes plain SGD local steps.*momentum is 0.9; set momentum to 0`,
        ),
      );
    }
  });

  it('a strategy and a privacy mode that do not compose', async () => {
    expectOneLineError(
      await run('--strategy', 'fedprox', '--dp', 'dp-sgd', '--noise-multiplier', '1'),
      /strategy "fedprox" adds its proximal term to every local gradient, but dp "dp-sgd"/,
    );
    expectOneLineError(
      await run('--strategy', 'krum', '--f', '1', '--dp', 'central', '--noise-multiplier', '1'),
      /strategy "krum" cannot follow dp-fedavg \(dp "central"\)/,
    );
  });

  it('a robust rule whose rounds can never select enough clients', async () => {
    expectOneLineError(
      await run('--strategy', 'krum', '--f', '2'),
      /strategy "krum" needs 7 updates per round \(more than 2f \+ 2 = 6 with f = 2\), but a round selects at most 4 clients/,
    );
  });

  it('FLTrust in a federation, whose server has no root data', async () => {
    expectOneLineError(
      await flotilla('federation', '--dataset', 'stroke', '--clients', '3', '--strategy', 'fltrust'),
      /strategy "fltrust" trains on the server's own root data every round, but this run has none/,
    );
  });
});

describe('one run config for simulate, server and federation', () => {
  const examples = ['hospitals', 'mnist'].map(
    (name) => new URL(`../examples/${name}/config.yaml`, import.meta.url).pathname,
  );

  it('publishes a JSON Schema generated from the settings, which the example configs follow', async () => {
    for (const [name, title] of [
      ['simulate', /run config/],
      ['server', /server config/],
      ['federation', /federation config/],
    ] as const) {
      const outcome = await flotilla('config', 'schema', ...(name === 'simulate' ? [] : [name]));
      expect(outcome.code).toBe(0);
      const schema = JSON.parse(outcome.stdout) as { title: string; properties: Record<string, unknown> };
      expect(schema.title).toMatch(title);
      // Every run setting is in every command's schema, with the same definition.
      const run = settingsJsonSchema(RUN_SCHEMA, '') as { properties: Record<string, unknown> };
      for (const [key, definition] of Object.entries(run.properties)) {
        expect(schema.properties[key], `${name}: ${key}`).toEqual(definition);
      }
      const validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
      for (const path of examples) {
        expect(validator.safeParse(parseYaml(readFileSync(path, 'utf8'))).success, `${name}: ${path}`).toBe(
          true,
        );
      }
      expect(validator.safeParse({ localEpochs: 1.5 }).success).toBe(false);
      expect(validator.safeParse({ fractionFit: 0.5 }).success).toBe(false);
    }
  });

  it('simulate runs the hospital config as the server and the federation do', async () => {
    const outcome = await flotilla('simulate', examples[0]!, '--rounds', '1', '--no-compare');
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.stdout).toMatch(/Final model \(round 1\)/);
  });
});

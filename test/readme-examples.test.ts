/**
 * Every example command line of the README is run here as written, with the built `flotilla` (npm test builds
 * dist/ first), in a scratch folder that holds what the README says a user has (the repository's `examples/`, a
 * `data.csv` in the stroke layout and the README's `schema.yaml`). Each states its headline result in a trailing
 * `# => METRIC VALUE` comment; the test checks that the run measures it (within TOLERANCE, or inside a stated range
 * for runs whose DP noise comes from the platform's random generator) and that it beats the trivial baseline (AUC 0.5,
 * or the majority class's share for accuracy) by MARGIN. Results are read from the JSON each command writes, never
 * from its tables. The deployment steps (server, client, certificates...) need a running server and are run by the
 * deployment tests (test/deployment*.test.ts, test/federation.test.ts, test/admin.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStrokeCohort, strokeRecordsToCsv } from '../src/data/index.js';
import { documentedTabularSchema, readmeExamples, type ReadmeExample } from './support/readme.js';

const run = promisify(execFile);
const BIN = new URL('../bin/flotilla.js', import.meta.url).pathname;
const EXAMPLES = new URL('../examples', import.meta.url).pathname;

/** How far a measured value may be from a single value the README states. */
const TOLERANCE = 0.01;
/** How far above the trivial baseline a headline metric must be. */
const MARGIN = 0.1;
/** A busy 2-core machine may run an example several times slower than the README's timings. */
const EXAMPLE_TIMEOUT_MS = 600_000;
/** Examples run two at a time (the project's reference machine has 2 cores); more would only queue for them. */
const PARALLEL = 2;

/**
 * Subcommands run by other tests: the steps of a deployment need a server (the deployment tests run them), and
 * `new` writes a project whose `npm start` test/new-project.test.ts runs and checks against the majority class.
 */
const DEPLOYMENT = new Set([
  'server',
  'client',
  'certs',
  'clients',
  'status',
  'runs',
  'he',
  'identity',
  'new',
]);

const examples = readmeExamples();
const runnable = examples.filter((e) => !DEPLOYMENT.has(e.args[0]!));

let dir: string;

/**
 * Lets at most `limit` callers run at once; the others wait their turn in arrival order. A finishing caller hands
 * its slot straight to the next one, so no newcomer can slip in between.
 */
function limiter(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
const inTurn = limiter(PARALLEL);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-readme-'));
  symlinkSync(EXAMPLES, join(dir, 'examples'));
  // "Any CSV with a column schema": 2,000 patients in the Kaggle stroke layout, with the README's schema.
  writeFileSync(join(dir, 'data.csv'), strokeRecordsToCsv(generateStrokeCohort({ size: 2000, seed: 1 })));
  writeFileSync(join(dir, 'schema.yaml'), documentedTabularSchema());
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function flotilla(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args], { cwd: dir, maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    throw new Error(`flotilla ${args.join(' ')} exited with ${e.code}:\n${e.stderr}\n${e.stdout}`);
  }
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, path), 'utf8')) as Record<string, unknown>;
}

/** The value of a flag in an argument list, if given. */
function flag(args: readonly string[], ...names: string[]): string | undefined {
  const at = args.findIndex((a) => names.includes(a));
  return at >= 0 ? args[at + 1] : undefined;
}

/** The majority class's share among label counts: the accuracy of always predicting it. */
function majorityShare(counts: readonly number[]): number {
  return Math.max(...counts) / counts.reduce((a, b) => a + b, 0);
}

interface Measured {
  readonly metrics: Record<string, number>;
  /** Accuracy of the trivial predictor, when the command reports its class counts. */
  readonly majority?: number;
}

interface History {
  rounds: { serverEvaluation: { metrics: Record<string, number> } }[];
  partitions: { clients: { labelCounts: number[] }[] };
}

/** Runs a README example and reads its result from the JSON it writes. */
async function measure(example: ReadmeExample, name: string): Promise<Measured> {
  const [command, sub] = example.args;
  if (command === 'simulate' || command === 'train-central') {
    const output = flag(example.args, '--json', '--output');
    const json = output ?? `${name}.json`;
    await flotilla(output ? example.args : [...example.args, '--json', json]);
    if (command === 'train-central') {
      const history = readJson(json) as {
        epochs: { test: { metrics: Record<string, number> } }[];
        labelCounts: number[];
      };
      return { metrics: history.epochs.at(-1)!.test.metrics, majority: majorityShare(history.labelCounts) };
    }
    const history = readJson(json) as unknown as History;
    const counts = history.partitions.clients.reduce<number[]>(
      (sum, c) => c.labelCounts.map((n, k) => n + (sum[k] ?? 0)),
      [],
    );
    return { metrics: history.rounds.at(-1)!.serverEvaluation.metrics, majority: majorityShare(counts) };
  }
  if (command === 'federation') {
    await flotilla(example.args);
    const db = join(flag(example.args, '--dir') ?? '.flotilla/federation', 'server.db');
    const { runs } = JSON.parse(await flotilla(['runs', 'list', '--db', db, '--json'])) as {
      runs: { runId: string }[];
    };
    expect(runs).toHaveLength(1);
    const shown = JSON.parse(await flotilla(['runs', 'show', runs[0]!.runId, '--db', db, '--json'])) as {
      rounds: { record: { federatedEvaluation: { metrics: Record<string, number> } } }[];
    };
    return { metrics: shown.rounds.at(-1)!.record.federatedEvaluation.metrics };
  }
  if (command === 'privacy') {
    const args = example.args.includes('--json') ? example.args : [...example.args, '--json'];
    const answer = JSON.parse(await flotilla(args)) as Record<string, number>;
    return { metrics: sub === 'noise' ? { noise: answer['noiseMultiplier']! } : answer };
  }
  throw new Error(`README example "${example.line}": no way to run "${command}" here`);
}

const METRIC_KEY = { AUC: 'aucRoc', accuracy: 'accuracy', epsilon: 'epsilon', noise: 'noise' } as const;

describe('README examples', () => {
  it('are each run here, or are deployment steps, and each that runs states its result', () => {
    expect(runnable.length).toBeGreaterThan(5);
    for (const example of runnable) {
      expect(example.stated, `README example "${example.line}" states no "# => METRIC VALUE"`).toBeDefined();
    }
  });

  it.concurrent.for(runnable.map((e, k) => [e.line, e, k] as const))(
    '%s',
    { timeout: EXAMPLE_TIMEOUT_MS },
    async ([, example, k], { expect }) => {
      const stated = example.stated!;
      const { metrics, majority } = await inTurn(() => measure(example, `example-${k}`));
      const value = metrics[METRIC_KEY[stated.metric]];
      expect(value, `${stated.metric} in ${JSON.stringify(metrics)}`).toBeTypeOf('number');
      if (stated.exact)
        expect(Math.abs(value! - stated.low), `measured ${value}`).toBeLessThanOrEqual(TOLERANCE);
      else {
        expect(value, `measured ${value}`).toBeGreaterThanOrEqual(stated.low);
        expect(value, `measured ${value}`).toBeLessThanOrEqual(stated.high);
      }
      if (stated.metric === 'AUC') expect(value).toBeGreaterThanOrEqual(0.5 + MARGIN);
      if (stated.metric === 'accuracy') {
        expect(majority, 'the run reports its class counts').toBeTypeOf('number');
        expect(value).toBeGreaterThanOrEqual(majority! + MARGIN);
      }
    },
  );
});

/**
 * `flotilla new`: each template becomes a project that a user runs with `npm install && npm start`. The test creates
 * it with the built command in a temporary folder, links its declared dependencies to this repository instead of
 * installing them (no network), runs `npm start` as a real process and checks that the model it trains beats the
 * majority-class baseline. Needs the built dist/ (`npx tsc -p tsconfig.build.json`; `npm test` builds it).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/data/index.js';
import { flotillaBuilt, linkDependencies, runProgram, type Outcome } from './support/project.js';

let parent: string;

beforeAll(() => {
  parent = mkdtempSync(join(tmpdir(), 'flotilla-new-'));
});

function expectOneLineError(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.code).toBe(2);
  const lines = outcome.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/** Every file of a project, relative to it, skipping node_modules. */
function projectFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules') return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? projectFiles(path, base) : [path.slice(base.length + 1)];
  });
}

async function createAndStart(name: string, template: string): Promise<{ dir: string; start: Outcome }> {
  const created = await flotillaBuilt(['new', name, '--template', template, '--dir', parent], parent);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  const dir = join(parent, name.replace(/^@[^/]+\//, ''));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(pkg).toMatchObject({ name, type: 'module', dependencies: { flotilla: '^0.1.0' } });
  for (const file of projectFiles(dir)) {
    expect(readFileSync(join(dir, file), 'utf8'), file).not.toMatch(/\{\{\w+\}\}/);
  }
  expect(projectFiles(dir)).toEqual(expect.arrayContaining(['README.md', 'flotilla.yaml', '.gitignore']));
  linkDependencies(dir);
  const start = await runProgram('npm', ['start'], dir);
  if (start.code !== 0) throw new Error(`npm start exited ${start.code}:\n${start.stdout}\n${start.stderr}`);
  return { dir, start };
}

describe('flotilla new', () => {
  it('tabular: the project trains on its CSV and beats the majority class', async () => {
    const { dir, start } = await createAndStart('churn-study', 'tabular');
    const rows = readFileSync(join(dir, 'data/customers.csv'), 'utf8').trim().split('\n').slice(1);
    const churned = rows.filter((row) => row.endsWith(',yes')).length / rows.length;
    const majority = Math.max(churned, 1 - churned);
    const accuracy = Number(/Final model \(round 10\): test accuracy ([\d.]+)/.exec(start.stdout)?.[1]);
    expect(accuracy).toBeGreaterThan(majority + 0.05);
  });

  // The image templates test on the 2,000 held-out MNIST digits; the most common digit is the majority baseline.
  const digitBaseline = () => {
    const { test } = loadMnist({ seed: 7 });
    const counts = new Array<number>(test.numClasses).fill(0);
    for (const label of test.labels) counts[label]! += 1;
    return Math.max(...counts) / test.size;
  };
  const finalAccuracy = (stdout: string) =>
    Number(/Final model: test accuracy ([\d.]+) on 2000 held-out digits/.exec(stdout)?.[1]);

  it('image: the project trains its own TF.js model on MNIST and beats the most common digit', async () => {
    const { start } = await createAndStart('digits-cnn', 'image');
    expect(start.stdout).toMatch(/^round 5: /m);
    expect(finalAccuracy(start.stdout)).toBeGreaterThan(digitBaseline() + 0.5);
  }, 600_000);

  it('custom-trainer: plain JavaScript softmax regression learns MNIST and beats the most common digit', async () => {
    const { start } = await createAndStart('@lab/digits-own-trainer', 'custom-trainer');
    expect(start.stdout).toMatch(/^round 5: /m);
    expect(finalAccuracy(start.stdout)).toBeGreaterThan(digitBaseline() + 0.5);
  }, 600_000);

  it('refuses a folder that exists and is not empty, in one line', async () => {
    mkdirSync(join(parent, 'taken'));
    writeFileSync(join(parent, 'taken/notes.txt'), 'mine\n');
    expectOneLineError(
      await flotillaBuilt(['new', 'taken', '--dir', parent], parent),
      /taken already exists and is not empty/,
    );
    expect(readdirSync(join(parent, 'taken'))).toEqual(['notes.txt']);
  });

  it('refuses a name npm would refuse, and an unknown template, in one line', async () => {
    for (const [name, why] of [
      ['My-Project', /"My-Project" is not a valid npm package name: it has upper-case letters/],
      ['my project', /not URL-safe/],
      ['.hidden', /starts with "\." or "_"/],
      ['fs', /built-in module/],
    ] as const) {
      expectOneLineError(await flotillaBuilt(['new', name, '--dir', parent], parent), why);
    }
    expectOneLineError(
      await flotillaBuilt(['new', 'ok-name', '--template', 'video', '--dir', parent], parent),
      /template/,
    );
    expectOneLineError(await flotillaBuilt(['new', '--dir', parent], parent), /usage: flotilla new NAME/);
    expect(readdirSync(parent)).not.toContain('ok-name');
  });
});

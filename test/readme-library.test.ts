/**
 * The README's "Use Flotilla as a library" examples run as written: each ```ts block becomes a file inside the
 * package (so `flotilla/...` resolves through the package's own exports map, to the sources under the
 * `flotilla-source` condition) and runs in its own Node process, which must exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const section = readme.split('\n## Use Flotilla as a library\n')[1]?.split('\n## ')[0] ?? '';
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = new URL('.flotilla/readme-examples/', root);

function run(file: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--conditions=flotilla-source', '--import', 'tsx', file], {
    cwd: root.pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('README: Use Flotilla as a library', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the examples the section promises', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
  });

  it.each(blocks.map((code, i) => [i + 1, code] as const))('example %i runs', async (i, code) => {
    mkdirSync(dir, { recursive: true });
    const file = new URL(`example-${i}.ts`, dir).pathname;
    writeFileSync(file, code);
    const { code: exit, output } = await run(file);
    expect(output).not.toMatch(/Error/);
    expect(exit).toBe(0);
  });
});

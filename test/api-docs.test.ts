/**
 * The API reference: TypeDoc over the six entry points with `notDocumented` and `treatWarningsAsErrors`
 * (typedoc.json), so an undocumented public symbol fails; and every exported function, class, interface, type and
 * constant shows a runnable `@example`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// typedoc's exports map hides its bin; it sits next to its package.json.
const typedoc = join(
  dirname(createRequire(import.meta.url).resolve('typedoc/package.json')),
  'bin',
  'typedoc',
);
const root = new URL('../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-api-'));

interface Reflection {
  readonly name: string;
  readonly kind: number;
  readonly children?: readonly Reflection[];
  readonly comment?: { readonly blockTags?: readonly { readonly tag: string }[] };
  readonly signatures?: readonly Reflection[];
}

describe('API reference', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('documents every public symbol, each with an @example', async () => {
    const json = join(dir, 'api.json');
    const run = await promisify(execFile)(
      process.execPath,
      [typedoc, '--json', json, '--out', join(dir, 'html')],
      {
        cwd: root,
        maxBuffer: 1 << 24,
      },
    ).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(run).toBe('');
    const project = JSON.parse(readFileSync(json, 'utf8')) as Reflection;
    const modules = project.children ?? [];
    expect(modules.map((m) => m.name).sort()).toEqual([
      'flotilla',
      'flotilla/browser',
      'flotilla/client',
      'flotilla/data',
      'flotilla/ml',
      'flotilla/server',
      'flotilla/sim',
    ]);
    const hasExample = (r: Reflection) =>
      [r, ...(r.signatures ?? [])].some((x) => x.comment?.blockTags?.some((t) => t.tag === '@example'));
    // A symbol two entries export is documented once; the second is a reference to it.
    const REFERENCE = 4194304;
    const missing = modules.flatMap((m) =>
      (m.children ?? [])
        .filter((symbol) => symbol.kind !== REFERENCE && !hasExample(symbol))
        .map((symbol) => `${m.name}: ${symbol.name}`),
    );
    expect(missing).toEqual([]);
  });
});

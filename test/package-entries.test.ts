/**
 * The package's entry points: the exports map names, for each subpath, the same module as source (the
 * `flotilla-source` condition the tests and the type test use) and as build output (what `npm install flotilla`
 * users load), and the root entry stays browser-safe: nothing it reaches, through any chain of our own imports,
 * imports a Node built-in or a Node-only package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  types: string;
  exports: Record<string, string | Record<string, string>>;
};

/**
 * Every module specifier a source file loads at run time: static imports and re-exports (type-only ones are erased
 * by the compiler) and literal dynamic imports.
 */
function specifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const statics = [...source.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map(
    (m) => m[1]!,
  );
  const dynamics = [...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...dynamics];
}

/** The external specifiers reachable from `entry` through relative imports, each with the file that imports it. */
function reachableExternals(entry: string): Map<string, string> {
  const seen = new Set<string>();
  const externals = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else externals.set(spec, relative(root, file));
    }
  };
  visit(join(root, entry));
  return externals;
}

describe('package entry points', () => {
  const subpaths = Object.entries(pkg.exports).filter(([key]) => key !== './package.json');

  it('offers the documented subpaths', () => {
    expect(subpaths.map(([key]) => key)).toEqual([
      '.',
      './sim',
      './server',
      './client',
      './ml',
      './data',
      './browser',
    ]);
  });

  it.each(subpaths)('%s maps source, types and build output of one module', (_key, target) => {
    const t = target as Record<string, string>;
    const source = t['flotilla-source']!;
    expect(existsSync(join(root, source)), source).toBe(true);
    const built = source.replace(/^\.\/src\//, './dist/src/').replace(/\.ts$/, '');
    expect(t['types']).toBe(`${built}.d.ts`);
    expect(t['default']).toBe(`${built}.js`);
    // Conditions are matched in order: the source condition must come before "default".
    expect(Object.keys(t)).toEqual(['flotilla-source', 'types', 'default']);
  });

  it('points main and types at the root entry', () => {
    const dot = pkg.exports['.'] as Record<string, string>;
    expect(`./${pkg.main}`).toBe(dot['default']);
    expect(`./${pkg.types}`).toBe(dot['types']);
  });

  it.each(['src/index.ts', 'src/public/browser.ts'])('keeps %s browser-safe', (entry) => {
    const externals = reachableExternals(entry);
    const nodeOnly = [...externals].filter(
      ([spec]) =>
        spec.startsWith('node:') ||
        [
          'better-sqlite3',
          'ws',
          'fastify',
          '@fastify/websocket',
          'mnist',
          'node-seal',
          '@tensorflow/tfjs',
        ].some((name) => spec === name || spec.startsWith(`${name}/`)),
    );
    expect(nodeOnly).toEqual([]);
  });

  it('finds Node imports where they are (the walk is not blind)', () => {
    expect(reachableExternals('src/public/client.ts').has('node:fs')).toBe(true);
  });
});

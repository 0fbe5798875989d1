import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Modules the browser client may import: they must not reach Node built-ins, directly or through our imports. */
const BROWSER_SAFE = [
  'idx.ts',
  'image-dataset.ts',
  'image-idx.ts',
  'csv.ts',
  'split.ts',
  'tabular-schema.ts',
  'tabular.ts',
  'stroke.ts',
  'stroke-cohort.ts',
  'partition.ts',
  'partition-stats.ts',
];

function imports(file: string): string[] {
  const source = readFileSync(new URL(file, import.meta.url), 'utf8');
  return [...source.matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => m[1]!);
}

describe('browser-safe data modules', () => {
  it.each(BROWSER_SAFE)('%s imports only core and other browser-safe modules', (file) => {
    for (const target of imports(file)) {
      const local = target.startsWith('./') ? target.slice(2).replace(/\.js$/, '.ts') : undefined;
      expect(
        target === '../core/index.js' || (local !== undefined && BROWSER_SAFE.includes(local)),
        target,
      ).toBe(true);
    }
  });
});

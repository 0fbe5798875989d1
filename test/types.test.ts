/**
 * The public types, as Fastify guards its own: tsc compiles test/types/public-api.ts against the package's exports
 * map. Any error (a missing export, a loosened type, a changed signature) fails this test with tsc's message.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = new URL('./types/tsconfig.json', import.meta.url).pathname;

describe('public types', () => {
  it('compile as test/types/public-api.ts expects', async () => {
    const run = await promisify(execFile)(process.execPath, [tsc, '-p', project], {
      maxBuffer: 1 << 24,
    }).then(
      () => '',
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(run).toBe('');
  });
});

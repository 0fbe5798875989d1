/**
 * The lint rule that keeps the isomorphic folders browser-safe (eslint.config.js) is itself tested: each fixture is
 * linted as if it lived at the given path, so a rule that is dropped, misspelt or scoped to the wrong files fails
 * here instead of silently letting a Node import into client code.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

/** The rule ids of the errors ESLint reports for `code` as the file `path` (relative to the repository). */
async function ruleErrors(code: string, path: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  return result!.messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

describe('the isomorphic lint rule', () => {
  it.each([
    ['a node: module', `import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n`],
    ['a bare Node built-in', `import { createHash } from 'crypto';\nexport const h = createHash;\n`],
    ['a re-export of a built-in', `export { Worker } from 'worker_threads';\n`],
    ['a Node-only package', `import WebSocket from 'ws';\nexport const W = WebSocket;\n`],
    [
      'a Node-only scoped package',
      `import websocket from '@fastify/websocket';\nexport const w = websocket;\n`,
    ],
    ['node-seal outside privacy/he', `import seal from 'node-seal';\nexport const s = seal;\n`],
    ['TF.js outside ml/', `import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n`],
  ])('refuses %s in src/client/', async (_what, code) => {
    expect(await ruleErrors(code, 'src/client/fixture.ts')).toEqual(['no-restricted-imports']);
  });

  it.each([
    ['src/client/fixture.ts', './node/socket.js'],
    ['src/client/web/fixture.ts', '../node/socket.js'],
    ['src/client/fixture.ts', '../engine/index.js'],
    ['src/privacy/dp/fixture.ts', '../../storage/index.js'],
    ['src/core/fixture.ts', '../ml/index.js'],
    ['src/client/fixture.ts', '../privacy/index.js'],
    ['src/client/web/fixture.ts', '../../privacy/secagg/server.js'],
    ['src/client/fixture.ts', '../privacy/he/seal.js'],
  ])(
    'refuses in %s an import of %s (a Node-side layer or server-side privacy code)',
    async (path, specifier) => {
      const code = `import { x } from '${specifier}';\nexport const y = x;\n`;
      expect(await ruleErrors(code, path)).toEqual(['no-restricted-imports']);
    },
  );

  it('lets the isomorphic layers import each other', async () => {
    const code = `import { a } from '../core/index.js';\nimport { b } from '../privacy/dp/index.js';\nimport { c } from './runtime.js';\nimport { d } from '../privacy/secagg/client.js';\nexport const y = [a, b, c, d];\n`;
    expect(await ruleErrors(code, 'src/client/fixture.ts')).toEqual([]);
  });

  it.each([
    ['process', `export const argv = process.argv;\n`],
    ['Buffer', `export const b = Buffer.from('x');\n`],
    ['require', `export const r = typeof require;\n`],
    ['__dirname', `export const d = __dirname;\n`],
  ])('refuses the Node global %s', async (_name, code) => {
    expect(await ruleErrors(code, 'src/core/fixture.ts')).toEqual(['no-restricted-globals']);
  });

  it('refuses a dynamic import of a built-in or of node-seal outside privacy/he', async () => {
    expect(
      await ruleErrors(`export const os = await import('node:os');\n`, 'src/protocol/fixture.ts'),
    ).toEqual(['no-restricted-syntax']);
    expect(await ruleErrors(`export const z = await import('zlib');\n`, 'src/strategy/fixture.ts')).toEqual([
      'no-restricted-syntax',
    ]);
    expect(
      await ruleErrors(`export const s = await import('node-seal');\n`, 'src/client/fixture.ts'),
    ).toEqual(['no-restricted-syntax']);
  });

  it('lets privacy/he load node-seal, but not a built-in', async () => {
    const seal = `import type { SEALLibrary } from 'node-seal/implementation/seal.js';\nexport const s = (l: SEALLibrary) => import('node-seal').then(() => l);\n`;
    expect(await ruleErrors(seal, 'src/privacy/he/fixture.ts')).toEqual([]);
    expect(
      await ruleErrors(
        `import { tmpdir } from 'os';\nexport const t = tmpdir;\n`,
        'src/privacy/he/fixture.ts',
      ),
    ).toEqual(['no-restricted-imports']);
  });

  it('covers every isomorphic folder and leaves client/node, tests and the server alone', async () => {
    const code = `import { join } from 'node:path';\nexport const j = join;\n`;
    for (const folder of [
      'core',
      'protocol',
      'strategy',
      'privacy/dp',
      'privacy/secagg',
      'compression',
      'client/web',
    ]) {
      expect(await ruleErrors(code, `src/${folder}/fixture.ts`), folder).toEqual(['no-restricted-imports']);
    }
    for (const path of [
      'src/client/node/fixture.ts',
      'src/client/fixture.test.ts',
      'src/server/fixture.ts',
    ]) {
      expect(await ruleErrors(code, path), path).toEqual([]);
    }
  });
});

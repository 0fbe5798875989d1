/**
 * The isomorphic code really bundles for a browser: esbuild, with platform 'browser', builds the client runtime and
 * the root entry without a Node built-in, and the client carries neither node-seal (CKKS, about 5 MB of WASM, loaded
 * only by a caller that uses homomorphic aggregation) nor the server's or the simulator's secure-aggregation code.
 * The size bounds catch a heavy dependency slipping back into the client's static graph.
 */
import { build, type Metafile } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;

/** Minified ESM bundle of one entry for the browser; esbuild rejects the build if anything needs a Node built-in. */
async function bundle(entry: string): Promise<{ metafile: Metafile; bytes: Uint8Array }> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    outfile: 'out.js',
  });
  return { metafile: result.metafile, bytes: result.outputFiles[0]!.contents };
}

/** Every module specifier the bundle's inputs import, as esbuild resolved them. */
function importedPaths(metafile: Metafile): string[] {
  return Object.values(metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
}

describe('browser bundles of the isomorphic code', () => {
  it('bundles the client runtime without node-seal, server SecAgg or any node: module', async () => {
    const { metafile, bytes } = await bundle('src/client/index.ts');
    const inputs = Object.keys(metafile.inputs);
    const gzipped = gzipSync(bytes).length;
    console.log(`client bundle: ${bytes.length} bytes minified, ${gzipped} gzip, ${inputs.length} modules`);

    expect(inputs.filter((path) => path.includes('node_modules/node-seal'))).toEqual([]);
    expect(
      inputs.filter((path) => /privacy\/(secagg\/(server|simulate)|he\/(seal|aggregator))\.ts$/.test(path)),
    ).toEqual([]);
    expect(importedPaths(metafile).filter((path) => path.startsWith('node:'))).toEqual([]);
    // Measured 80 KB minified (28 KB gzip) when written: core, protocol, DP, accountant and SecAgg+ client.
    expect(bytes.length).toBeLessThan(120_000);
  });

  it('bundles the root entry (contracts, strategies) for the browser', async () => {
    const { metafile, bytes } = await bundle('src/index.ts');
    console.log(`root entry bundle: ${bytes.length} bytes minified`);
    expect(Object.keys(metafile.inputs).filter((path) => path.includes('node_modules'))).toEqual([]);
    expect(importedPaths(metafile).filter((path) => path.startsWith('node:'))).toEqual([]);
    // Measured 42 KB minified when written.
    expect(bytes.length).toBeLessThan(64_000);
  });
});

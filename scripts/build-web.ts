/**
 * Builds the participant page (web/join) into dist/web/join with esbuild: page.js (the UI) and worker.js (the
 * module Web Worker that trains, with TF.js and the client runtime), ESM, minified, external source maps; then
 * copies index.html, style.css and TF.js's wasm binaries, which the worker loads from /join/assets/wasm/. Each file
 * the page loads also gets a gzipped twin (FILE.gz) that the server sends to browsers accepting gzip: the worker
 * bundle shrinks about fourfold. Part of `npm run build`; prints the bundle sizes.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'web', 'join');
const out = join(root, 'dist', 'web', 'join');
const wasmDir = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
  'dist',
);
export const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'wasm'), { recursive: true });
await build({
  entryPoints: { page: join(source, 'page.ts'), worker: join(source, 'worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: 'external',
  // Our own sources, not dist/: the same condition the tests and tsx use.
  conditions: ['flotilla-source'],
  // The licence notices of the bundled packages go to worker.js.LEGAL.txt (served with the page).
  legalComments: 'external',
  logLevel: 'warning',
});
await copyFile(join(source, 'index.html'), join(out, 'index.html'));
await copyFile(join(source, 'style.css'), join(out, 'style.css'));
for (const file of WASM_FILES) await copyFile(join(wasmDir, file), join(out, 'wasm', file));
const served = ['index.html', 'style.css', 'page.js', 'worker.js', ...WASM_FILES.map((f) => `wasm/${f}`)];
for (const file of served) {
  const bytes = await readFile(join(out, file));
  const gzipped = gzipSync(bytes, { level: 9 });
  await writeFile(join(out, `${file}.gz`), gzipped);
  if (file.endsWith('.js')) {
    console.log(`dist/web/join/${file}: ${kib(bytes.length)} KiB, ${kib(gzipped.length)} KiB gzipped`);
  }
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(0);
}

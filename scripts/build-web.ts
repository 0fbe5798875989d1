/**
 * Builds the participant page (web/join) into dist/web/join with esbuild: page.js (the UI) and worker.js (the
 * module Web Worker that trains, with TF.js and the client runtime), ESM, minified, external source maps; then
 * copies index.html, style.css and TF.js's wasm binaries, which the worker loads from /join/assets/wasm/. Part of
 * `npm run build`; prints the bundle sizes.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const result = await build({
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
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(source, 'index.html'), join(out, 'index.html'));
await copyFile(join(source, 'style.css'), join(out, 'style.css'));
for (const file of WASM_FILES) await copyFile(join(wasmDir, file), join(out, 'wasm', file));
for (const [file, info] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith('.js')) console.log(`${file}: ${(info.bytes / 1024).toFixed(0)} KiB`);
}

/**
 * Builds the participant page (web/join) into dist/web/join with esbuild: page.js (the UI) and worker.js (the
 * module Web Worker that trains, with TF.js and the client runtime), ESM, minified, external source maps; then
 * copies index.html, style.css and TF.js's wasm binaries, which the worker loads from /join/assets/wasm/. Each file
 * the page loads also gets a gzipped twin (FILE.gz) that the server sends to browsers accepting gzip: the worker
 * bundle shrinks about fourfold. Then the operator's dashboard (web/dashboard) into dist/web/dashboard: dashboard.js
 * (with uPlot), dashboard.css (with uPlot's stylesheet) and index.html. Part of `npm run build`; prints the bundle sizes.
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

// The operator's dashboard (web/dashboard): one script with uPlot, one stylesheet with uPlot's, the page.
const dashboardSource = join(root, 'web', 'dashboard');
const dashboardOut = join(root, 'dist', 'web', 'dashboard');
await rm(dashboardOut, { recursive: true, force: true });
const dashboard = await build({
  // dashboard.js and dashboard.css: two entry points, one name.
  entryPoints: [
    { in: join(dashboardSource, 'dashboard.ts'), out: 'dashboard' },
    { in: join(dashboardSource, 'style.css'), out: 'dashboard' },
  ],
  outdir: dashboardOut,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: 'external',
  conditions: ['flotilla-source'],
  metafile: true,
  logLevel: 'warning',
});
await copyFile(join(dashboardSource, 'index.html'), join(dashboardOut, 'index.html'));
for (const [file, info] of Object.entries(dashboard.metafile.outputs)) {
  if (file.endsWith('.js')) console.log(`${file}: ${kib(info.bytes)} KiB`);
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(0);
}

/**
 * In-browser training speed (issue 12): McMahan et al.'s 2NN and CNN, batch 32, MNIST-shaped inputs, in headless
 * Chromium on every TF.js backend that starts there (wasm with the project's kernels, cpu, webgl on software
 * rendering), next to the same model on Node's wasm backend in this process. Target: the browser's wasm within 20%
 * of Node's. Both run wasm single-threaded with SIMD: Node's tfjs never uses wasm threads, and a page without
 * cross-origin isolation (as the participant page) cannot.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { initBackend } from '../src/ml/index.js';
import { launchChromium } from './browser/chromium.js';
import { serveStatic, type StaticFile } from './browser/static-server.js';
import { trainingSpeed } from './training-speed.js';

export const name = 'browser-training';

/** The repository root, from bench/ (tsx) or dist/bench/ (built). */
export const ROOT = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../' : '../../', import.meta.url),
);
const WASM_DIR = `${ROOT}node_modules/@tensorflow/tfjs-backend-wasm/dist/`;
const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * Examples per fit and timed fits (after one warm-up fit), sized so a measurement takes seconds, not minutes: the
 * CNN trains at about 1-2 samples/s on cpu and software webgl here, so those time one fit of one batch.
 */
const SIZES: Record<string, Record<string, readonly [examples: number, fits: number]>> = {
  mlp: { wasm: [2048, 3], cpu: [512, 3], webgl: [1024, 3], node: [2048, 3] },
  cnn: { wasm: [256, 3], cpu: [32, 1], webgl: [32, 1], node: [256, 3] },
};
const BACKENDS = ['wasm', 'cpu', 'webgl'] as const;
const MODELS = [
  ['2nn', 'mlp'],
  ['cnn', 'cnn'],
] as const;

/** The tfjs wasm binaries under /wasm/, as the participant page serves them. */
export async function wasmFiles(): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const file of WASM_FILES) {
    files.set(`/wasm/${file}`, { body: await readFile(WASM_DIR + file), type: 'application/wasm' });
  }
  return files;
}

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [`${ROOT}bench/browser/training-page.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  return result.outputFiles[0]!.text;
}

async function inBrowser(): Promise<Record<string, Record<string, unknown>>> {
  const files = await wasmFiles();
  files.set('/', {
    body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>',
    type: 'text/html',
  });
  files.set('/page.js', { body: await bundlePage(), type: 'text/javascript' });
  const server = await serveStatic(files);
  const browser = await launchChromium();
  const results: Record<string, Record<string, unknown>> = {};
  try {
    for (const backend of BACKENDS) {
      results[backend] = {};
      for (const [label, model] of MODELS) {
        process.stderr.write(`  browser ${backend} ${label}\n`);
        // A fresh page per measurement: backends and their memory do not carry over.
        const page = await browser.newPage();
        await page.goto(server.url);
        await page.waitForFunction(() => 'flotillaBench' in globalThis);
        results[backend][label] = await page.evaluate(
          ([b, m, [n, f]]) =>
            (
              globalThis as unknown as {
                flotillaBench: { train(b: string, m: string, n: number, f: number): Promise<object> };
              }
            ).flotillaBench.train(b, m, n, f),
          [backend, model, SIZES[model]![backend]!] as const,
        );
        await page.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return results;
}

async function inNode(): Promise<Record<string, object>> {
  await initBackend('wasm');
  const results: Record<string, object> = {};
  for (const [label, model] of MODELS) {
    process.stderr.write(`  node wasm ${label}\n`);
    const [examples, fits] = SIZES[model]!['node']!;
    results[label] = await trainingSpeed(model, examples, fits);
  }
  return results;
}

function speed(result: unknown): number | undefined {
  return (result as { samplesPerSecond?: number } | undefined)?.samplesPerSecond;
}

export async function run(): Promise<object> {
  const browser = await inBrowser();
  const node = await inNode();
  const ratios: Record<string, number | null> = {};
  for (const [label] of MODELS) {
    const b = speed(browser['wasm']![label]);
    const n = speed(node[label]);
    ratios[label] = b !== undefined && n !== undefined ? b / n : null;
  }
  return {
    chromium: 'headless, --disable-gpu (webgl is software-rendered)',
    browser,
    nodeWasm: node,
    browserWasmOverNodeWasm: ratios,
    withinTarget20Percent: Object.values(ratios).every((r) => r !== null && r >= 0.8),
  };
}

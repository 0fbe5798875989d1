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
import type { Browser } from 'playwright-core';
import { initBackend, type ModelName } from '../src/ml/index.js';
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
/** Browser-wasm / Node-wasm measurement pairs per model. */
const PAIRS = 2;
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

type Result = Record<string, unknown> & { readonly samplesPerSecond?: number };

/** One measurement in a fresh page (backends and their memory do not carry over between measurements). */
async function inPage(browser: Browser, url: string, backend: string, model: string): Promise<Result> {
  process.stderr.write(`  browser ${backend} ${model}\n`);
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await page.waitForFunction(() => 'flotillaBench' in globalThis);
    return await page.evaluate(
      ([b, m, [n, f]]) =>
        (
          globalThis as unknown as {
            flotillaBench: { train(b: string, m: string, n: number, f: number): Promise<Result> };
          }
        ).flotillaBench.train(b, m, n, f),
      [backend, model, SIZES[model]![backend]!] as const,
    );
  } finally {
    await page.close();
  }
}

async function inNode(model: ModelName): Promise<Result> {
  process.stderr.write(`  node wasm ${model}\n`);
  await initBackend('wasm');
  const [examples, fits] = SIZES[model]!['node']!;
  return { ...(await trainingSpeed(model, examples, fits)) };
}

/** The faster of two measurements: on a shared machine, the one less slowed by other jobs. */
const faster = (a: Result | undefined, b: Result): Result =>
  a && (a.samplesPerSecond ?? 0) >= (b.samplesPerSecond ?? 0) ? a : b;

export async function run(): Promise<object> {
  const files = await wasmFiles();
  files.set('/', {
    body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>',
    type: 'text/html',
  });
  files.set('/page.js', { body: await bundlePage(), type: 'text/javascript' });
  const server = await serveStatic(files);
  const browser = await launchChromium();
  const inBrowser: Record<string, Record<string, Result>> = { wasm: {}, cpu: {}, webgl: {} };
  const node: Record<string, Result> = {};
  const ratios: Record<string, number> = {};
  try {
    // Browser wasm and Node wasm in alternation, twice, keeping each side's faster run: both then saw the same
    // load from other jobs on the machine.
    for (const [label, model] of MODELS) {
      for (let pair = 0; pair < PAIRS; pair++) {
        node[label] = faster(node[label], await inNode(model));
        inBrowser['wasm']![label] = faster(
          inBrowser['wasm']![label],
          await inPage(browser, server.url, 'wasm', model),
        );
      }
      ratios[label] = inBrowser['wasm']![label]!.samplesPerSecond! / node[label]!.samplesPerSecond!;
    }
    for (const backend of ['cpu', 'webgl'] as const) {
      for (const [label, model] of MODELS) {
        inBrowser[backend]![label] = await inPage(browser, server.url, backend, model);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return {
    chromium: 'headless, --disable-gpu (webgl is software-rendered)',
    wasmPairs: PAIRS,
    browser: inBrowser,
    nodeWasm: node,
    browserWasmOverNodeWasm: ratios,
    withinTarget20Percent: Object.values(ratios).every((r) => r >= 0.8),
  };
}

import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isFlotillaError } from '../core/errors.js';
import { initBackend, type BackendName } from './backend.js';

/** Runs initBackend('wasm') in a fresh worker thread (its own tfjs engine), after `prelude` has run there. */
function initInWorker(prelude: string): Promise<{ backend: BackendName; sum: number }> {
  const backendUrl = new URL('./backend.ts', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then(async (api) => {
      api.register();
      ${prelude}
      const { initBackend } = await import(${JSON.stringify(backendUrl)});
      const backend = await initBackend('wasm');
      const tf = await import('@tensorflow/tfjs');
      parentPort.postMessage({ backend, sum: tf.tensor([1, 2, 3]).sum().dataSync()[0] });
    });`,
    { eval: true, stderr: true },
  );
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => {
      void worker.terminate();
      resolve(m as { backend: BackendName; sum: number });
    });
    worker.once('error', reject);
  });
}

describe('initBackend', () => {
  afterAll(async () => {
    await initBackend('wasm');
  });

  it('starts wasm by default, and repeated or concurrent calls agree', async () => {
    const results = await Promise.all([initBackend(), initBackend(), initBackend('wasm')]);
    expect(results).toEqual(['wasm', 'wasm', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  it('switches to cpu and back without printing anything', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    try {
      expect(await initBackend('cpu')).toBe('cpu');
      // The cpu backend's first write is where tfjs would print its "install tfjs-node" banner.
      tf.tidy(() => tf.tensor([1, 2]).add(1).dataSync());
      expect(await initBackend('wasm')).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('rejects unknown backend names with INVALID_ARGUMENT', async () => {
    const error = await initBackend('vulkan' as BackendName).catch((e: unknown) => e);
    expect(isFlotillaError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('falls back from webgl to wasm where there is no WebGL (Node), without a warning', async () => {
    const warn = vi.spyOn(console, 'warn');
    try {
      expect(await initBackend('webgl')).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('works in a worker thread, and falls back to cpu there when the wasm binary cannot load', async () => {
    expect(await initInWorker('')).toEqual({ backend: 'wasm', sum: 6 });
    const broken = `(await import('@tensorflow/tfjs-backend-wasm')).setWasmPaths('/nonexistent/');`;
    expect(await initInWorker(broken)).toEqual({ backend: 'cpu', sum: 6 });
  });
});

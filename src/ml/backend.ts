/**
 * Chooses and initializes the TensorFlow.js backend. wasm (XNNPACK, SIMD) is several times faster than the pure-JS
 * cpu backend on small dense models and is deterministic; cpu is the fallback when wasm cannot start. Every thread
 * has its own tfjs engine, so each worker thread calls this once itself.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FlotillaError } from '../core/errors.js';
import { registerWasmBatchMatMul } from './batch-matmul-wasm.js';
import { registerWasmConv2DBackpropFilter } from './conv2d-backprop-filter-wasm.js';
import { registerWasmConv2DBackpropInput } from './conv2d-backprop-input-wasm.js';

/**
 * The TF.js backend: wasm (default, faster), cpu, or webgl (browsers with WebGL only: elsewhere it falls back to
 * wasm).
 * @example
 * ```ts
 * const active: BackendName = await initBackend('wasm'); // 'cpu' if wasm could not start
 * ```
 */
export type BackendName = 'wasm' | 'cpu' | 'webgl';

const pending = new Map<BackendName, Promise<BackendName>>();

async function activate(preferred: BackendName): Promise<BackendName> {
  // tfjs warns through console.warn unless PROD is set: a banner recommending tfjs-node (which cannot be used
  // here) on the cpu backend's first write, and notes about re-registered kernels. PROD changes nothing else.
  tf.env().set('PROD', true);
  // wasm lacks Conv2DBackpropFilter (no CNN could train) and has slow Conv2DBackpropInput and transposed
  // BatchMatMul; these compose the missing/slow cases from fast XNNPACK kernels. Harmless if wasm never starts.
  registerWasmConv2DBackpropFilter();
  registerWasmConv2DBackpropInput();
  registerWasmBatchMatMul();
  // setBackend('webgl') resolves false where there is no WebGL (Node, a browser with it disabled).
  if (preferred === 'webgl' && tf.findBackendFactory('webgl') && (await tf.setBackend('webgl'))) {
    await tf.ready();
    return 'webgl';
  }
  if (preferred !== 'cpu' && (await tf.setBackend('wasm'))) {
    await tf.ready();
    return 'wasm';
  }
  if (await tf.setBackend('cpu')) {
    await tf.ready();
    return 'cpu';
  }
  throw new FlotillaError('MODEL_INVALID', 'neither the wasm nor the cpu TensorFlow.js backend could start');
}

/**
 * Makes `preferred` (default wasm) the active backend, falling back to cpu if wasm fails to initialize, and
 * resolves to the backend in use. Repeated and concurrent calls share one initialization.
 * @example
 * ```ts
 * await initBackend(); // before building a TF.js model yourself
 * ```
 */
export async function initBackend(preferred: BackendName = 'wasm'): Promise<BackendName> {
  if (preferred !== 'wasm' && preferred !== 'cpu' && preferred !== 'webgl') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `unknown backend "${String(preferred)}", expected wasm, cpu or webgl`,
    );
  }
  let started = pending.get(preferred);
  if (!started) {
    started = activate(preferred);
    pending.set(preferred, started);
    started.catch(() => pending.delete(preferred));
  }
  const backend = await started;
  // Someone may have switched backends since; switching back to an initialized backend is cheap.
  if (tf.getBackend() !== backend) await tf.setBackend(backend);
  return backend;
}

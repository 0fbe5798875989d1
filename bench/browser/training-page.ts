/**
 * The in-browser half of the training-speed benchmark, bundled by bench/browser-training.ts with esbuild. It exposes
 * `flotillaBench.train(backend, model, examples, fits)`; the Node side calls it once per backend and model through
 * playwright. wasm goes through the project's initBackend, so the CNN trains with the project's gradient kernels;
 * webgl is TF.js's own backend (software rendering here, since Chromium runs with --disable-gpu).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { initBackend, type ModelName } from '../../src/ml/index.js';
import { trainingSpeed, type TrainingSpeed } from '../training-speed.js';

type Backend = 'wasm' | 'cpu' | 'webgl';

async function use(backend: Backend): Promise<string> {
  if (backend === 'webgl') {
    tf.env().set('PROD', true);
    if (!(await tf.setBackend('webgl'))) return 'unavailable';
    await tf.ready();
    return tf.getBackend();
  }
  return initBackend(backend);
}

async function train(backend: Backend, model: ModelName, examples: number, fits: number) {
  const active = await use(backend);
  if (active !== backend) return { backend, available: false, active };
  const speed: TrainingSpeed = await trainingSpeed(model, examples, fits);
  return { backend, available: true, ...speed };
}

setWasmPaths(new URL('/wasm/', location.href).href);
Object.assign(globalThis, { flotillaBench: { train } });

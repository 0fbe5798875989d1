/**
 * Test fixture (not part of the library): trains in a worker thread what the determinism test also trains on the
 * main thread, and posts back the resulting parameters and metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Dataset } from '../core/dataset.js';
import type { FitConfig } from '../core/trainer.js';
import { initBackend } from './backend.js';
import { initialParameters, type ModelDims, type ModelName } from './models.js';
import { SharedModel } from './shared-model.js';
import { TfjsTrainer } from './trainer.js';

interface Job {
  readonly model: ModelName;
  readonly dims: ModelDims;
  readonly seed: number;
  readonly data: Dataset;
  readonly config: FitConfig;
}

const job = workerData as Job;
const backend = await initBackend('wasm');
const shared = SharedModel.create(job.model, { ...job.dims, seed: job.seed });
const out = await new TfjsTrainer(shared, job.data).fit(
  initialParameters(job.model, job.dims, job.seed),
  job.config,
);
parentPort!.postMessage({ backend, data: out.params.data, metrics: out.metrics, localSteps: out.localSteps });
shared.dispose();

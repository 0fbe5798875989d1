export { initBackend, type BackendName } from './backend.js';
export {
  MODEL_NAMES,
  createModel,
  initialParameters,
  modelLayout,
  modelToParameters,
  setModelParameters,
  type ModelDims,
  type ModelName,
  type ModelOptions,
} from './models.js';
export { SharedModel, type TaskKind } from './shared-model.js';
export {
  TfjsTrainer,
  trainCentral,
  validateFitConfig,
  type CentralEpoch,
  type CentralResult,
  type TfjsTrainerOptions,
} from './trainer.js';
export type { EpochStats } from './loop.js';
export {
  accuracy,
  aucRoc,
  averagePrecision,
  binaryConfusion,
  binaryMetrics,
  f1,
  precision,
  recall,
  type BinaryConfusion,
  type BinaryMetrics,
} from './metrics.js';
export { clippedGradientSum, denseStack, trainDpSgd } from './dp-sgd.js';
export type { DpNoiseFactory, GaussianNoise } from './dp-sgd.js';

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
export type { EpochStats, ScoredEvaluation } from './loop.js';
export {
  bootstrapAuc,
  pairedAucDifference,
  type AucDifference,
  type AucIntervals,
  type BootstrapOptions,
  type Difference,
  type Interval,
} from './bootstrap.js';
export {
  accuracy,
  aucRoc,
  averagePrecision,
  binaryConfusion,
  binaryMetrics,
  constantAccuracy,
  f1,
  majorityClass,
  precision,
  prevalence,
  recall,
  type BinaryConfusion,
  type BinaryMetrics,
} from './metrics.js';
export {
  CALIBRATION_BINS,
  MAX_CURVE_POINTS,
  calibrationBins,
  modelDiagnostics,
  rankCurves,
  type CalibrationBin,
  type CurvePoints,
  type ModelDiagnostics,
} from './diagnostics.js';
export { diagnoseModel, predictProbabilities } from './predict.js';
export { clippedGradientSum, denseStack, trainDpSgd } from './dp-sgd.js';
export type { DpNoiseFactory, GaussianNoise } from './dp-sgd.js';

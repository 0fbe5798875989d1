/**
 * The TensorFlow.js implementation of the core Trainer contract. A trainer is cheap: it holds one client's data and
 * a reference to a SharedModel, so thousands of virtual clients can share a single tfjs model; each fit sets the
 * given weights, trains with a fresh optimizer and reads the weights back, under the shared model's lock.
 *
 * The tfjs backend must be initialized before use (`await initBackend()`), once per thread.
 */
import { FlotillaError } from '../core/errors.js';
import { featureSize, type Dataset } from '../core/dataset.js';
import { ParameterSet } from '../core/parameters.js';
import type {
  EvaluateConfig,
  EvaluateOutput,
  FitConfig,
  FitExtras,
  FitOutput,
  MetricValues,
  OptimizerName,
  Trainer,
  TrainerFeature,
} from '../core/trainer.js';
import { trainDpSgd, type DpNoiseFactory } from './dp-sgd.js';
import {
  evaluateCurrent,
  evaluateScored,
  trainEpochs,
  type EpochStats,
  type GradientTerms,
  type ScoredEvaluation,
} from './loop.js';
import { majorityClass } from './metrics.js';
import type { SharedModel } from './shared-model.js';

const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'adam'];

function isPositiveInteger(value: number): boolean {
  return Number.isSafeInteger(value) && value > 0;
}

/**
 * Throws CONFIG_INVALID naming the bad field. localEpochs must be a positive integer: fractional epochs are
 * rejected rather than guessed at. `momentum` applies to 'sgd' only and is ignored by 'adam'.
 */
export function validateFitConfig(config: FitConfig): void {
  const bad = (message: string) => new FlotillaError('CONFIG_INVALID', `fit config: ${message}`);
  if (!isPositiveInteger(config.localEpochs)) {
    throw bad(`localEpochs must be a positive integer, got ${config.localEpochs}`);
  }
  if (!isPositiveInteger(config.batchSize)) {
    throw bad(`batchSize must be a positive integer, got ${config.batchSize}`);
  }
  if (!(Number.isFinite(config.learningRate) && config.learningRate > 0)) {
    throw bad(`learningRate must be a positive number, got ${config.learningRate}`);
  }
  if (!OPTIMIZERS.includes(config.optimizer)) {
    throw bad(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got "${String(config.optimizer)}"`);
  }
  if (!(Number.isFinite(config.momentum) && config.momentum >= 0 && config.momentum < 1)) {
    throw bad(`momentum must be in [0, 1), got ${config.momentum}`);
  }
  if (!Number.isFinite(config.seed)) throw bad(`seed must be a finite number, got ${config.seed}`);
  const mu = config.proximalMu;
  if (mu !== undefined && !(Number.isFinite(mu) && mu >= 0)) {
    throw bad(`proximalMu must be a finite number >= 0, got ${mu}`);
  }
}

function validateBatchSize(batchSize: number): void {
  if (!isPositiveInteger(batchSize)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `evaluate config: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
}

/** Throws SHAPE_MISMATCH unless the dataset's examples and classes fit the model. */
function assertFits(model: SharedModel, data: Dataset): void {
  const want = featureSize(model.inputShape);
  const got = featureSize(data.featureShape);
  if (want !== got) {
    throw new FlotillaError(
      'SHAPE_MISMATCH',
      `dataset "${data.name}" has ${got} features per example ([${data.featureShape.join(', ')}]) but the model ` +
        `takes ${want} ([${model.inputShape.join(', ')}])`,
    );
  }
  if (data.numClasses !== model.numClasses) {
    throw new FlotillaError(
      'SHAPE_MISMATCH',
      `dataset "${data.name}" has ${data.numClasses} classes but the ${model.task} model predicts ${model.numClasses}`,
    );
  }
}

/**
 * Options of {@link TfjsTrainer}: held-out data, and the noise source for DP-SGD.
 * @example
 * ```ts
 * new TfjsTrainer(shared, train, { test } satisfies TfjsTrainerOptions);
 * ```
 */
export interface TfjsTrainerOptions {
  /** Data that `evaluate` uses (a client's held-out split); defaults to the training data. */
  readonly test?: Dataset;
  /**
   * Noise for DP-SGD (FitConfig.exampleClipNorm/exampleNoiseMultiplier): privacy's SecureNoise for real clients, a
   * SeededNoise from the fit seed for reproducible simulations. A DP-SGD fit without it is refused.
   */
  readonly dpNoise?: DpNoiseFactory;
  /**
   * Labels whose most frequent class is the majority-class baseline that `evaluate` reports (`majorityAccuracy`):
   * by default the training data's, so the baseline is "always predict the commonest training class".
   */
  readonly majorityFrom?: ArrayLike<number>;
  /** Sees each local epoch of a fit as it ends, with the fit's number of epochs (a participant page's progress). */
  readonly onEpoch?: (epoch: EpochStats, epochs: number) => void;
}

/**
 * Flotilla's Trainer for TF.js models: cross-entropy losses, SGD or Adam, FedProx and SCAFFOLD terms, DP-SGD, and
 * accuracy (plus AUC-ROC, AUC-PR, F1 for binary tasks). `createTfjsTrainer` in `flotilla/ml` builds one around a
 * user's model.
 * @example
 * ```ts
 * const trainer = new TfjsTrainer(SharedModel.create('mlp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 }), train);
 * ```
 */
export class TfjsTrainer implements Trainer {
  /** It implements every part of a fit task that needs the training loop. */
  readonly features: readonly TrainerFeature[] = [
    'proximal-term',
    'gradient-correction',
    'dp-sgd',
    'initial-loss',
  ];
  private readonly test: Dataset;
  private readonly dpNoise: DpNoiseFactory | undefined;
  private readonly majority: number;
  private readonly progress: TfjsTrainerOptions['onEpoch'];

  /** `train` is the client's data (rows are read, never modified); feature sizes and classes must fit the model. */
  constructor(
    private readonly model: SharedModel,
    private readonly train: Dataset,
    options: TfjsTrainerOptions = {},
  ) {
    this.test = options.test ?? train;
    this.dpNoise = options.dpNoise;
    this.progress = options.onEpoch;
    this.majority = majorityClass(options.majorityFrom ?? train.labels, train.numClasses);
    assertFits(model, train);
    if (this.test !== train) assertFits(model, this.test);
  }

  /**
   * Trains `params` on the client's data. metrics.loss and metrics.accuracy are the training loss and accuracy
   * over the last epoch. A client without data returns the input parameters unchanged (a copy) with
   * numExamples 0, localSteps 0 and no metrics.
   *
   * `config.proximalMu` (FedProx) adds mu (w - params) to every gradient, the gradient of mu/2 ||w - params||^2;
   * `extras.gradientCorrection` (SCAFFOLD) adds a constant. The reported loss is the data loss alone. With
   * `config.reportInitialLoss`, metrics.initialLoss is the training-data loss of `params` before any step.
   */
  private requireDpNoise(): DpNoiseFactory {
    if (!this.dpNoise) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        'DP-SGD needs a noise source: pass TfjsTrainerOptions.dpNoise',
      );
    }
    return this.dpNoise;
  }

  async fit(params: ParameterSet, config: FitConfig, extras?: FitExtras): Promise<FitOutput> {
    validateFitConfig(config);
    this.model.layout.assertEquals(params.layout, 'model and fit parameters');
    const correction = extras?.gradientCorrection;
    if (correction) this.model.layout.assertEquals(correction.layout, 'model and gradient correction');
    const mu = config.proximalMu ?? 0;
    if (config.exampleClipNorm !== undefined && (mu > 0 || correction)) {
      // The DP-SGD step clips per-example gradients; it does not add these terms, and silently dropping them
      // would run a different algorithm than the one configured.
      throw new FlotillaError(
        'CONFIG_INVALID',
        'fit config: DP-SGD (exampleClipNorm) cannot be combined with FedProx (proximalMu) or SCAFFOLD yet',
      );
    }
    const terms: GradientTerms = {
      ...(mu > 0 ? { proximal: { mu, anchor: params.clone() } } : {}),
      ...(correction ? { correction } : {}),
    };
    return this.model.exclusive((): FitOutput => {
      if (this.train.size === 0)
        return { params: params.clone(), numExamples: 0, localSteps: 0, metrics: {} };
      this.model.setParameters(params);
      const initial: MetricValues = config.reportInitialLoss
        ? { initialLoss: evaluateCurrent(this.model, this.train, config.batchSize).loss }
        : {};
      let localSteps = 0;
      const onEpoch = (epoch: EpochStats) => {
        localSteps += epoch.steps;
        this.progress?.(epoch, config.localEpochs);
      };
      const last =
        config.exampleClipNorm === undefined
          ? trainEpochs(this.model, this.train, config, onEpoch, terms)
          : trainDpSgd(this.model, this.train, config, this.requireDpNoise(), onEpoch);
      const trained = this.model.getParameters();
      return {
        // Reuse the caller's layout object so aggregators can compare layouts by identity.
        params: new ParameterSet(params.layout, trained.data),
        numExamples: this.train.size,
        localSteps,
        metrics: { loss: last.loss, accuracy: last.accuracy, ...initial },
      };
    });
  }

  /**
   * Loss and metrics of `params` on the evaluation data: accuracy and majorityAccuracy (always predicting the
   * majority class), plus aucRoc, aucPr, f1, precision and recall (threshold 0.5) and prevalence for a binary model.
   * Without data: loss NaN, numExamples 0, no metrics.
   */
  async evaluate(params: ParameterSet, config: EvaluateConfig): Promise<EvaluateOutput> {
    return (await this.evaluateScored(params, config)).output;
  }

  /** `evaluate`, plus each evaluation example's score for a binary model (for bootstrap intervals). */
  async evaluateScored(params: ParameterSet, config: EvaluateConfig): Promise<ScoredEvaluation> {
    validateBatchSize(config.batchSize);
    this.model.layout.assertEquals(params.layout, 'model and evaluate parameters');
    return this.model.exclusive(() => {
      this.model.setParameters(params);
      return evaluateScored(this.model, this.test, config.batchSize, this.majority);
    });
  }
}

export interface CentralEpoch extends EpochStats {
  /** The model after this epoch, evaluated on the test set. */
  readonly test: EvaluateOutput;
}

export interface CentralResult {
  readonly params: ParameterSet;
  readonly history: readonly CentralEpoch[];
}

/**
 * The "centrally trained" baseline: trains `initial` on the whole training set for `config.localEpochs` epochs
 * and evaluates on `test` after every epoch (its majority-class baseline is `train`'s commonest class). The training
 * is exactly a TfjsTrainer fit over `train` (same shuffling and optimizer state across epochs), so its final
 * parameters equal such a fit's. `onEpoch` sees each epoch as it ends (progress displays).
 */
export async function trainCentral(
  model: SharedModel,
  train: Dataset,
  test: Dataset,
  initial: ParameterSet,
  config: FitConfig,
  evaluateBatchSize = 256,
  onEpoch?: (epoch: CentralEpoch) => void,
): Promise<CentralResult> {
  validateFitConfig(config);
  validateBatchSize(evaluateBatchSize);
  assertFits(model, train);
  assertFits(model, test);
  model.layout.assertEquals(initial.layout, 'model and initial parameters');
  return model.exclusive(() => {
    model.setParameters(initial);
    const history: CentralEpoch[] = [];
    const majority = majorityClass(train.labels, train.numClasses);
    trainEpochs(model, train, config, (stats) => {
      const epoch = { ...stats, test: evaluateCurrent(model, test, evaluateBatchSize, majority) };
      history.push(epoch);
      onEpoch?.(epoch);
    });
    return { params: model.getParameters(), history };
  });
}

/**
 * The client-side training contract (DESIGN "Key interfaces"). The core knows no ML library: a Trainer reads and
 * writes ParameterSets, and TensorFlow.js (src/ml) is one implementation among any a user plugs in.
 */
import type { ParameterSet } from './parameters.js';

/**
 * Named metric values a trainer reports (loss, accuracy, aucRoc, ...).
 * @example
 * ```ts
 * const metrics: MetricValues = { loss: 0.31, accuracy: 0.9 };
 * ```
 */
export type MetricValues = Record<string, number>;

/**
 * The local optimizer a fit task asks for (setting `optimizer`).
 * @example
 * ```ts
 * const optimizer: OptimizerName = 'sgd';
 * ```
 */
export type OptimizerName = 'sgd' | 'adam';

/**
 * What the server asks a client to do in one fit task. Strategies may add fields in later issues.
 * @example
 * ```ts
 * const trainer: Trainer = {
 *   async fit(params, config: FitConfig) {
 *     const steps = config.localEpochs * Math.ceil(100 / config.batchSize);
 *     return { params, numExamples: 100, localSteps: steps, metrics: {} };
 *   },
 *   async evaluate() {
 *     return { loss: 0, numExamples: 0, metrics: {} };
 *   },
 * };
 * ```
 */
export interface FitConfig {
  readonly round: number;
  /** Seed for this client in this round (shuffling, dropout, noise): derived by the engine from the run seed. */
  readonly seed: number;
  readonly localEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly optimizer: OptimizerName;
  /** SGD momentum (0 = plain SGD). */
  readonly momentum: number;
  /**
   * FedProx (Li et al. 2020): the client minimizes its loss plus mu/2 ||w - w_global||^2, w_global being the
   * parameters it was sent. Absent or 0: no proximal term.
   */
  readonly proximalMu?: number;
  /** Report metrics.initialLoss, the training loss of the received parameters before any step (q-FedAvg). */
  readonly reportInitialLoss?: boolean;
  /**
   * Differential privacy (issue 5), all optional. `clipNorm`: the client clips its update (trained - global) to
   * this L2 norm before it leaves (DP-FedAvg with clipping on the client, and local DP). `localNoiseMultiplier`:
   * local DP, the client then adds N(0, (z * clipNorm)^2) to every coordinate (needs `clipNorm`).
   */
  readonly clipNorm?: number;
  readonly localNoiseMultiplier?: number;
  /**
   * DP-SGD inside local training (Abadi et al. 2016): each example's gradient is clipped to `exampleClipNorm` and
   * every step adds N(0, (exampleNoiseMultiplier * exampleClipNorm)^2) to the summed gradients; batches are Poisson
   * samples at rate batchSize / numExamples ('poisson', the accounted default) or shuffled fixed-size ('shuffle').
   */
  readonly exampleClipNorm?: number;
  readonly exampleNoiseMultiplier?: number;
  readonly exampleSampling?: 'poisson' | 'shuffle';
  /** The delta at which a client reports the epsilon of its own ledger (local DP, DP-SGD). */
  readonly privacyDelta?: number;
  /**
   * Distributed DP with secure aggregation: after clipping to `clipNorm` the client adds N(0, s^2) to every coordinate,
   * its share of the noise the round's sum must carry, so the server never sees an unnoised sum. The server's
   * accountant charges it (not this client's ledger); a client refuses it without `secureAggregation`.
   */
  readonly distributedNoiseStddev?: number;
  /** Secure aggregation of this round's update: the client masks it (SecAgg+) instead of sending it. */
  readonly secureAggregation?: SecureAggregationTask;
  /** Homomorphic aggregation: the client encrypts its weighted update (CKKS) under the clients' shared key. */
  readonly homomorphic?: HomomorphicTask;
}

/** What a client must know of a homomorphic (CKKS) round. */
export interface HomomorphicTask {
  /** The round's public CKKS encryption parameters, base64; the client's key file must hold the same. */
  readonly parameters: string;
  /** Every client weighs 1 rather than its example count (unweighted strategies, DP-FedAvg). */
  readonly unitWeights: boolean;
}

/**
 * What one client must know of a SecAgg+ round (plain data: it travels in the fit task's JSON header). The client
 * re-derives the round's parameters from it and refuses values that would let the server unmask one client.
 */
export interface SecureAggregationTask {
  /** Names the run and attempt; bound into every key, ciphertext and signature with the round. */
  readonly session: string;
  /** Clients in the round; this one is `index` in 0..n-1. */
  readonly n: number;
  readonly index: number;
  /** k: neighbours in the masking graph, and t: shares needed to recover a secret. */
  readonly neighbours: number;
  readonly threshold: number;
  readonly clippingRange: number;
  readonly quantizationBits: number;
  readonly modulusBits: number;
  readonly maxWeight: number;
  /** The 32 public random bytes the masking graph is derived from, as 64 hex digits. */
  readonly graphSeed: string;
  /** Every client weighs 1 rather than its example count (unweighted strategies, DP-FedAvg). */
  readonly unitWeights: boolean;
  /**
   * The round's clients by index, when key advertisements must be signed: each client looks their identity keys up in
   * its own roster (never the server's word) and verifies every neighbour's signature.
   */
  readonly clients?: readonly string[];
}

/**
 * What the server asks of one evaluate task: the round and the batch size to evaluate with.
 * @example
 * ```ts
 * const out = await trainer.evaluate(params, { round: 3, batchSize: 256 } satisfies EvaluateConfig);
 * ```
 */
export interface EvaluateConfig {
  readonly round: number;
  readonly batchSize: number;
}

/**
 * What a trainer returns from `fit`: the trained parameters (same layout), how many examples and steps, metrics.
 * @example
 * ```ts
 * const out: FitOutput = { params: trained, numExamples: 600, localSteps: 30, metrics: { loss: 0.4 } };
 * ```
 */
export interface FitOutput {
  /** The locally trained parameters (same layout as the input). */
  readonly params: ParameterSet;
  readonly numExamples: number;
  /** Number of optimizer steps taken (FedNova and accounting need it). */
  readonly localSteps: number;
  readonly metrics: MetricValues;
}

/**
 * What a trainer returns from `evaluate`: the loss, how many examples, and metrics.
 * @example
 * ```ts
 * const out: EvaluateOutput = { loss: 0.35, numExamples: 200, metrics: { accuracy: 0.88 } };
 * ```
 */
export interface EvaluateOutput {
  readonly loss: number;
  readonly numExamples: number;
  /** accuracy, and for binary tasks aucRoc, aucPr, f1, precision, recall. */
  readonly metrics: MetricValues;
}

/**
 * Tensors a fit may receive besides the global parameters (same layout).
 * @example
 * ```ts
 * async fit(params, config, extras?: FitExtras) {
 *   if (extras?.gradientCorrection) throw new Error('this trainer does not support SCAFFOLD');
 *   // ...
 * }
 * ```
 */
export interface FitExtras {
  /**
   * A constant added to every minibatch gradient before the optimizer step: SCAFFOLD's correction c - c_i
   * (Karimireddy et al. 2020), so the local step is y <- y - lr (g(y) + correction).
   */
  readonly gradientCorrection?: ParameterSet;
}

/**
 * The client-side training contract: any code that trains and evaluates a `ParameterSet` on the client's data.
 * Flotilla's TF.js trainer is one implementation; a user's own is another. `fit` must return parameters with
 * the layout it was given and finite values; otherwise the client reports the task as failed.
 * @example
 * ```ts
 * const trainer: Trainer = {
 *   async fit(params, config) {
 *     const trained = params.clone();
 *     // ... config.localEpochs epochs of training on the local data, with config.learningRate ...
 *     return { params: trained, numExamples: 100, localSteps: 10, metrics: { loss: 0.5 } };
 *   },
 *   async evaluate(params, config) {
 *     return { loss: 0.5, numExamples: 50, metrics: { accuracy: 0.8 } };
 *   },
 * };
 * ```
 */
export interface Trainer {
  /**
   * The parts of a fit task this trainer implements among those only training code can (see {@link TrainerFeature}).
   * A task that needs one it does not list fails on the client with TRAINER_UNSUPPORTED rather than train without
   * it: a trainer that ignored FedProx's term or DP-SGD's clipping would produce a silently wrong result.
   */
  readonly features?: readonly TrainerFeature[];
  /** Called only with the `extras` of features the trainer declares (SCAFFOLD's `gradientCorrection`). */
  fit(params: ParameterSet, config: FitConfig, extras?: FitExtras): Promise<FitOutput>;
  /**
   * Evaluates `params` on the client's held-out data (its training data when it holds none out).
   */
  evaluate(params: ParameterSet, config: EvaluateConfig): Promise<EvaluateOutput>;
  /** Releases resources held by the trainer (tensors, models). Optional. */
  dispose?(): void;
}

/**
 * Parts of a fit task that only the training loop itself can honour, so a trainer must declare them (`features`):
 * - `proximal-term`: FedProx's `config.proximalMu` (strategy fedprox);
 * - `gradient-correction`: SCAFFOLD's `extras.gradientCorrection` (strategy scaffold);
 * - `dp-sgd`: per-example clipping and noise, `config.exampleClipNorm` (dp: dp-sgd);
 * - `initial-loss`: `metrics.initialLoss` when `config.reportInitialLoss` (strategy qfedavg).
 * Everything else a task asks (update clipping, local and distributed noise, masking, encryption) the client
 * runtime does around any trainer.
 * @example
 * ```ts
 * const trainer: Trainer = { features: ['proximal-term'], fit: myFit, evaluate: myEvaluate };
 * ```
 */
export type TrainerFeature = 'proximal-term' | 'gradient-correction' | 'dp-sgd' | 'initial-loss';

/** What each feature is asked for by, for the refusal's message. */
const FEATURE_SOURCES: Readonly<Record<TrainerFeature, string>> = {
  'proximal-term': "FedProx's proximal term (config.proximalMu, strategy fedprox)",
  'gradient-correction': "SCAFFOLD's gradient correction (extras.gradientCorrection, strategy scaffold)",
  'dp-sgd':
    'per-example clipping and noise (config.exampleClipNorm, dp: dp-sgd; dp-fedavg clips without the trainer)',
  'initial-loss': 'the loss before training (config.reportInitialLoss, strategy qfedavg)',
};

/**
 * The features a fit task needs that `trainer` does not declare, each with what asks for it; empty when it can run.
 * @example
 * ```ts
 * const missing = missingTrainerFeatures(trainer, config, extras);
 * if (missing.length > 0) console.error(missing.join('; '));
 * ```
 */
export function missingTrainerFeatures(
  trainer: Pick<Trainer, 'features'>,
  config: FitConfig,
  extras?: FitExtras,
): string[] {
  const needed: TrainerFeature[] = [];
  if ((config.proximalMu ?? 0) > 0) needed.push('proximal-term');
  if (extras?.gradientCorrection !== undefined) needed.push('gradient-correction');
  if (config.exampleClipNorm !== undefined) needed.push('dp-sgd');
  if (config.reportInitialLoss === true) needed.push('initial-loss');
  const declared = new Set(trainer.features ?? []);
  return needed.filter((f) => !declared.has(f)).map((f) => `"${f}": ${FEATURE_SOURCES[f]}`);
}

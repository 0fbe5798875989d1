/**
 * Schemas of the typed message fields. The decoder checks every incoming header against them, and the encoder checks
 * outgoing fields too, so that a bad value (a NaN metric, an empty task id) is reported by the party that produced it
 * instead of turning into `null` in JSON and a confusing error on the other side.
 */
import { arr, bool, int, num, obj, oneOf, optional, record, str, type Schema } from '../core/index.js';
import type { EvaluateConfig, FitConfig, MetricValues, ResourceReport } from '../core/index.js';

/** Round numbers; 0 is the evaluation of the initial model. */
export const roundSchema = int({ min: 0 });

/** Task ids are chosen by the engine; keep them short and printable so they are safe in logs. */
export const taskIdSchema = str({
  minLength: 1,
  maxLength: 128,
  pattern: /^[\x21-\x7e]+$/,
  patternName: 'printable ASCII without spaces',
});

export const metricsSchema: Schema<MetricValues> = record(num(), {
  key: str({ minLength: 1, maxLength: 128 }),
  maxKeys: 1024,
});

export const fitConfigSchema: Schema<FitConfig> = obj({
  round: roundSchema,
  seed: int({ min: 0, max: 0xffff_ffff }),
  localEpochs: num({ above: 0 }),
  batchSize: int({ min: 1 }),
  learningRate: num({ above: 0 }),
  optimizer: oneOf(['sgd', 'adam']),
  momentum: num({ min: 0, below: 1 }),
  clipNorm: optional(num({ above: 0 })),
  localNoiseMultiplier: optional(num({ above: 0 })),
  exampleClipNorm: optional(num({ above: 0 })),
  exampleNoiseMultiplier: optional(num({ above: 0 })),
  exampleSampling: optional(oneOf(['poisson', 'shuffle'])),
  privacyDelta: optional(num({ above: 0, below: 1 })),
  proximalMu: optional(num({ min: 0 })),
  reportInitialLoss: optional(bool()),
  distributedNoiseStddev: optional(num({ above: 0 })),
  secureAggregation: optional(
    obj({
      session: str({ minLength: 1, maxLength: 128 }),
      n: int({ min: 2, max: 1_000_000 }),
      index: int({ min: 0, max: 999_999 }),
      neighbours: int({ min: 1, max: 999_999 }),
      threshold: int({ min: 2, max: 1_000_000 }),
      clippingRange: num({ above: 0 }),
      quantizationBits: int({ min: 1, max: 31 }),
      modulusBits: int({ min: 2, max: 32 }),
      maxWeight: int({ min: 1, max: 2 ** 31 }),
      graphSeed: str({ minLength: 64, maxLength: 64, pattern: /^[0-9a-f]+$/, patternName: 'lowercase hex' }),
      unitWeights: bool(),
      clients: optional(arr(str({ minLength: 1, maxLength: 256 }), { maxLength: 1_000_000 })),
    }),
  ),
  homomorphic: optional(
    obj({
      parameters: str({
        minLength: 1,
        maxLength: 4096,
        pattern: /^[A-Za-z0-9+/]+=*$/,
        patternName: 'base64',
      }),
      unitWeights: bool(),
    }),
  ),
});

export const evaluateConfigSchema: Schema<EvaluateConfig> = obj({
  round: roundSchema,
  batchSize: int({ min: 1 }),
});

export const countSchema = int({ min: 0 });

/** Error codes in task-failed messages: identifiers such as NON_FINITE, not free text. */
export const failureCodeSchema = str({
  minLength: 1,
  maxLength: 64,
  pattern: /^[A-Za-z0-9_.:-]+$/,
  patternName: 'letters, digits, "_", ".", ":" or "-"',
});

export const MAX_FAILURE_MESSAGE_LENGTH = 4096;

export const failureMessageSchema = str({ maxLength: MAX_FAILURE_MESSAGE_LENGTH });

/** A year of milliseconds: longer than any task; a larger value is a bug or a lie, not a measurement. */
const MAX_TASK_MS = 365 * 24 * 3600 * 1000;
/** 1 PiB: above any device's memory or any frame, and still exact as a double. */
const MAX_BYTES = 2 ** 50;

/**
 * A client's resource report (core/resources.ts): finite, non-negative and bounded, so a client cannot poison the
 * server's metrics with NaN, negative or absurd values; short strings, so it cannot blow up a label or a log line.
 */
export const resourcesSchema: Schema<ResourceReport> = obj({
  fitMs: num({ min: 0, max: MAX_TASK_MS }),
  cpuMs: optional(num({ min: 0, max: MAX_TASK_MS })),
  peakMemoryBytes: optional(int({ min: 0, max: MAX_BYTES })),
  bytesIn: optional(int({ min: 0, max: MAX_BYTES })),
  bytesOut: optional(int({ min: 0, max: MAX_BYTES })),
  device: optional(
    obj({
      platform: str({
        minLength: 1,
        maxLength: 64,
        pattern: /^[\x20-\x7e]+$/,
        patternName: 'printable ASCII',
      }),
      cores: optional(int({ min: 1, max: 65_536 })),
      memoryBytes: optional(int({ min: 0, max: MAX_BYTES })),
      backend: optional(
        str({
          minLength: 1,
          maxLength: 32,
          pattern: /^[A-Za-z0-9_.-]+$/,
          patternName: 'letters, digits, "_", "." or "-"',
        }),
      ),
    }),
  ),
});

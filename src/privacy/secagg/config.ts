/**
 * Secure-aggregation settings: what a user configures (SecAggConfig) and what every party of one round agrees on
 * (SecAggRoundParams), with the consistency checks between them. Errors are CONFIG_INVALID and name the values.
 *
 * Threshold semantics: a client's secrets are shared among its group, itself plus its k neighbours (k + 1
 * shareholders; n with the original protocol), and any t of them recover a secret. t must exceed half the group:
 * otherwise a server that tells two disjoint halves of a group different stories (the client survived / dropped)
 * could collect t shares of both its self-mask seed and its masking key and unmask it.
 */
import { FlotillaError } from '../../core/index.js';
import { effectiveDegree } from './graph.js';
import { quantizationLevels, type QuantizationParams } from './quantize.js';

export interface SecAggConfig {
  /** k: neighbours per client. Default min(n - 1, 2 ceil(1.5 log2 n)); n - 1 or more gives the original protocol. */
  readonly neighbours?: number;
  /**
   * t: shares needed to recover a secret, out of the k + 1 members of a group. An integer >= 2 is a count; a number
   * in (0.5, 1) a fraction of the group, rounded up. Default: the smallest secure value, floor((k + 1) / 2) + 1.
   */
  readonly threshold?: number;
  /** Update coordinates are clipped to [-clippingRange, clippingRange]. Default 1. */
  readonly clippingRange?: number;
  /** b: each clipped coordinate becomes an integer in [0, 2^b - 1]. Default 12. */
  readonly quantizationBits?: number;
  /** m: arithmetic is modulo 2^m, m <= 32. Default 32. */
  readonly modulusBits?: number;
  /** Client weights (example counts) are capped at this. Default 256. */
  readonly maxWeight?: number;
}

/** What every party of one round must agree on (the engine sends it to each client with the round's task). */
export interface SecAggRoundParams extends QuantizationParams {
  /** Names the run; bound into key derivation, ciphertexts and signatures with the round. */
  readonly session: string;
  readonly round: number;
  /** Clients selected for the round; they are indexed 0..n-1. */
  readonly n: number;
  /** Effective degree k of the masking graph. */
  readonly neighbours: number;
  readonly threshold: number;
  /** d: coordinates of an update (the masked vector has d + 1, the last being the weight). */
  readonly dimension: number;
  /** 32 public random bytes the masking graph is derived from. */
  readonly graphSeed: Uint8Array;
}

export interface RoundSetup {
  readonly session: string;
  readonly round: number;
  readonly n: number;
  readonly dimension: number;
  readonly graphSeed: Uint8Array;
}

function invalid(message: string): FlotillaError {
  return new FlotillaError('CONFIG_INVALID', message);
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`secureAggregation.${name}: expected an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** The default neighbour count for n clients: of order log n (Bell et al. 2020), and complete for small n. */
export function defaultNeighbours(n: number): number {
  return Math.min(n - 1, 2 * Math.ceil(1.5 * Math.log2(n)));
}

/** The smallest secure threshold for a group of `groupSize` shareholders. */
export const minimumThreshold = (groupSize: number): number => Math.floor(groupSize / 2) + 1;

export function resolveRoundParams(config: SecAggConfig, setup: RoundSetup): SecAggRoundParams {
  const { n, dimension } = setup;
  integerIn('clients (n)', n, 2, 1_000_000);
  integerIn('dimension', dimension, 1, 2 ** 30);
  integerIn('round', setup.round, 0, 0xffff_ffff);
  if (setup.graphSeed.length !== 32)
    throw invalid(`the graph seed must be 32 bytes, got ${setup.graphSeed.length}`);
  const requested = integerIn('neighbours', config.neighbours ?? defaultNeighbours(n), 1, 1_000_000);
  const k = effectiveDegree(n, requested);
  const group = k + 1;
  const rawThreshold = config.threshold ?? minimumThreshold(group);
  let threshold: number;
  if (rawThreshold > 0.5 && rawThreshold < 1) threshold = Math.ceil(rawThreshold * group);
  else if (Number.isSafeInteger(rawThreshold) && rawThreshold >= 2) threshold = rawThreshold;
  else {
    throw invalid(
      `secureAggregation.threshold: expected an integer >= 2 or a fraction in (0.5, 1), got ${rawThreshold}`,
    );
  }
  if (threshold > group) {
    throw invalid(
      `secureAggregation.threshold ${threshold} exceeds the group size ${group} (k = ${k} neighbours + the client)`,
    );
  }
  if (2 * threshold <= group) {
    throw invalid(
      `secureAggregation.threshold ${threshold} is not more than half the group of ${group} (k = ${k} neighbours + ` +
        `the client); use at least ${minimumThreshold(group)}, or a server could recover both secrets of a client`,
    );
  }
  const clippingRange = config.clippingRange ?? 1;
  if (!(Number.isFinite(clippingRange) && clippingRange > 0)) {
    throw invalid(`secureAggregation.clippingRange: expected a finite number > 0, got ${clippingRange}`);
  }
  const quantization: QuantizationParams = {
    clippingRange,
    quantizationBits: integerIn('quantizationBits', config.quantizationBits ?? 12, 1, 31),
    modulusBits: integerIn('modulusBits', config.modulusBits ?? 32, 2, 32),
    maxWeight: integerIn('maxWeight', config.maxWeight ?? 256, 1, 2 ** 31),
  };
  checkModulusCapacity(n, quantization);
  return { ...setup, neighbours: k, threshold, ...quantization };
}

/** The modulus must hold sum_u w_u q_u <= n maxWeight (2^b - 1) without wrapping. */
export function checkModulusCapacity(n: number, q: QuantizationParams): void {
  const largest = BigInt(n) * BigInt(q.maxWeight) * BigInt(quantizationLevels(q.quantizationBits));
  const capacity = (1n << BigInt(q.modulusBits)) - 1n;
  if (largest > capacity) {
    throw invalid(
      `secureAggregation: the modulus 2^${q.modulusBits} cannot hold the sum of n = ${n} weighted quantized values: ` +
        `n x maxWeight (${q.maxWeight}) x (2^quantizationBits - 1) (quantizationBits = ${q.quantizationBits}) = ` +
        `${largest} > 2^${q.modulusBits} - 1 = ${capacity}; lower quantizationBits or maxWeight, or raise modulusBits`,
    );
  }
}

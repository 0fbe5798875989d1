/**
 * Fixed-point encoding of updates for secure aggregation. A client clips each coordinate to [-c, c], maps it onto the
 * 2^b - 1 steps of that range and rounds stochastically (up with probability equal to the fractional part, so the
 * rounding is unbiased), then multiplies by its weight w (its example count capped at maxWeight) and appends w itself
 * as one more coordinate. The masked sum then holds sum_u w_u q_u and sum_u w_u, from which the server recovers the
 * weighted sum (and mean) of the clipped updates without learning any single weight.
 */
import type { Rng } from '../../core/index.js';

export interface QuantizationParams {
  /** Coordinates are clipped to [-clippingRange, clippingRange]. */
  readonly clippingRange: number;
  readonly quantizationBits: number;
  readonly maxWeight: number;
  readonly modulusBits: number;
}

export const quantizationLevels = (bits: number): number => 2 ** bits - 1;

/** The integer weight of a client: its example count, capped at maxWeight. */
export function clientWeight(numExamples: number, maxWeight: number): number {
  return Math.min(Math.floor(numExamples), maxWeight);
}

/** The d + 1 integers a client masks: w * q(x_i) for each coordinate, then w. */
export function quantize(
  update: Float32Array,
  weight: number,
  params: QuantizationParams,
  rng: Rng,
): Uint32Array {
  const c = params.clippingRange;
  const levels = quantizationLevels(params.quantizationBits);
  const scale = levels / (2 * c);
  const out = new Uint32Array(update.length + 1);
  for (let i = 0; i < update.length; i++) {
    const x = Math.min(c, Math.max(-c, update[i]!));
    const level = (x + c) * scale;
    const low = Math.floor(level);
    const q = Math.min(levels, low + (rng.next() < level - low ? 1 : 0));
    out[i] = q * weight;
  }
  out[update.length] = weight;
  return out;
}

export interface Dequantized {
  /** sum_u w_u clip(x_u), up to quantization error. */
  readonly weightedSum: Float32Array;
  /** sum_u w_u. */
  readonly weightTotal: number;
}

/** Inverts the encoding on the unmasked sum (d + 1 values, already reduced modulo 2^modulusBits). */
export function dequantize(sum: Uint32Array, params: QuantizationParams): Dequantized {
  const d = sum.length - 1;
  const weightTotal = sum[d]!;
  const step = (2 * params.clippingRange) / quantizationLevels(params.quantizationBits);
  const offset = params.clippingRange * weightTotal;
  const weightedSum = new Float32Array(d);
  for (let i = 0; i < d; i++) weightedSum[i] = sum[i]! * step - offset;
  return { weightedSum, weightTotal };
}

/**
 * Largest error of one coordinate of the dequantized weighted sum: each client's rounding moves its value by less than
 * one step, times its weight.
 */
export function quantizationErrorBound(weightTotal: number, params: QuantizationParams): number {
  return (weightTotal * 2 * params.clippingRange) / quantizationLevels(params.quantizationBits);
}

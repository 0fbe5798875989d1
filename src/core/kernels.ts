/**
 * Vector kernels over ParameterSets. Each checks layouts once and then runs one flat loop over the contiguous
 * buffers; none allocates on the hot path (functions that produce a new set say so in their name).
 * Reductions (dot, norm) accumulate in float64 so that results do not depend on model size through rounding.
 */
import type { ParameterSet } from './parameters.js';

function sameLayout(a: ParameterSet, b: ParameterSet): void {
  a.layout.assertEquals(b.layout);
}

/**
 * y <- y + alpha * x
 * @example
 * ```ts
 * const global = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: Float32Array.of(1, 1) }]);
 * const step = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: Float32Array.of(2, 4) }]);
 * axpy(global, 0.5, step); // global.data is now [2, 3]
 * ```
 */
export function axpy(y: ParameterSet, alpha: number, x: ParameterSet): ParameterSet {
  sameLayout(y, x);
  axpyArray(y.data, alpha, x.data);
  return y;
}

export function axpyArray(
  y: Float32Array | Float64Array,
  alpha: number,
  x: Float32Array | Float64Array,
): void {
  const n = y.length;
  for (let i = 0; i < n; i++) y[i] = y[i]! + alpha * x[i]!;
}

/**
 * x <- alpha * x
 * @example
 * ```ts
 * scale(params, 0.5); // halves every value in place
 * ```
 */
export function scale(x: ParameterSet, alpha: number): ParameterSet {
  const d = x.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * alpha;
  return x;
}

/** out <- a - b (out may alias a or b). */
export function subtract(out: ParameterSet, a: ParameterSet, b: ParameterSet): ParameterSet {
  sameLayout(out, a);
  sameLayout(a, b);
  const o = out.data;
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < o.length; i++) o[i] = ad[i]! - bd[i]!;
  return out;
}

/** out <- a + b (out may alias a or b). */
export function add(out: ParameterSet, a: ParameterSet, b: ParameterSet): ParameterSet {
  sameLayout(out, a);
  sameLayout(a, b);
  const o = out.data;
  const ad = a.data;
  const bd = b.data;
  for (let i = 0; i < o.length; i++) o[i] = ad[i]! + bd[i]!;
  return out;
}

/**
 * A new set holding a - b.
 * @example
 * ```ts
 * const update = difference(trained, global); // trained - global, a new set
 * ```
 */
export function difference(a: ParameterSet, b: ParameterSet): ParameterSet {
  return subtract(a.zerosLike(), a, b);
}

/**
 * The inner product of two sets with the same layout (accumulated in float64).
 * @example
 * ```ts
 * const similarity = dot(a, b) / (l2Norm(a) * l2Norm(b));
 * ```
 */
export function dot(a: ParameterSet, b: ParameterSet): number {
  sameLayout(a, b);
  const ad = a.data;
  const bd = b.data;
  let sum = 0;
  for (let i = 0; i < ad.length; i++) sum += ad[i]! * bd[i]!;
  return sum;
}

export function l2NormSquared(x: ParameterSet): number {
  const d = x.data;
  let sum = 0;
  for (let i = 0; i < d.length; i++) sum += d[i]! * d[i]!;
  return sum;
}

/**
 * The L2 norm of all values of a set (accumulated in float64).
 * @example
 * ```ts
 * console.log(l2Norm(difference(trained, global))); // how far a client moved
 * ```
 */
export function l2Norm(x: ParameterSet): number {
  return Math.sqrt(l2NormSquared(x));
}

/**
 * Scales x in place so that its L2 norm is at most `maxNorm`: x <- x * min(1, maxNorm / ||x||).
 * Returns the factor applied (1 when no clipping happened).
 * @example
 * ```ts
 * const norm = clipByNorm(update, 1); // update now has norm <= 1; norm is the norm before clipping
 * ```
 */
export function clipByNorm(x: ParameterSet, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clip norm must be positive, got ${maxNorm}`);
  const norm = l2Norm(x);
  if (norm <= maxNorm) return 1;
  const factor = maxNorm / norm;
  scale(x, factor);
  return factor;
}

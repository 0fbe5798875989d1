/**
 * A float64 running sum of scaled float32 vectors: sum <- sum + coefficient * values, refusing values that hold NaN
 * or an infinity. It is the one hot loop of streaming aggregation, shared by the weighted-mean accumulator and the
 * strategies' update sums: the WebAssembly SIMD kernel (simd-fold.ts) checks and folds in one pass where it is
 * available, a plain loop does it elsewhere and for small vectors.
 */
import { firstNonFinite } from './parameters.js';
import { SIMD_FOLD_MIN_SIZE, createSimdFolder, type SimdFolder } from './simd-fold.js';

export class RunningSum {
  /** The running sum (owned by the SIMD kernel's memory where it is used). */
  readonly values: Float64Array;
  private readonly folder: SimdFolder | undefined;

  constructor(size: number) {
    this.folder = size >= SIMD_FOLD_MIN_SIZE ? createSimdFolder(size) : undefined;
    this.values = this.folder?.sum ?? new Float64Array(size);
  }

  /**
   * Folds `coefficient * values` in and returns -1, or returns the index of the first non-finite value and leaves
   * the sum as it was (up to float64 rounding).
   */
  addFinite(values: Float32Array, coefficient: number): number {
    if (this.folder) return this.folder.fold(values, coefficient);
    const bad = firstNonFinite(values);
    if (bad >= 0) return bad;
    const s = this.values;
    for (let i = 0; i < s.length; i++) s[i] = s[i]! + coefficient * values[i]!;
    return -1;
  }
}

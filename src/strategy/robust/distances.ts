/**
 * All pairwise squared L2 distances between a round's updates, for Krum and Bulyan. Differences are taken directly
 * (not through the Gram identity ||a||^2 + ||b||^2 - 2 a.b, which loses every digit when two long updates are
 * close, exactly the case Krum must rank well) and accumulated in float64.
 * Speed: the coordinates are walked in blocks so one block of every update stays in cache while all n(n-1)/2
 * pairs use it, and each update is compared with four others per pass so each of its values is loaded once for
 * four pairs. Together these halve the time of the plain double loop (n = 100, d = 1e6: about 4.5 s).
 */
const BLOCK = 2048;

/** Returns the symmetric n x n matrix (row-major, zero diagonal) of squared distances. */
export function pairwiseSquaredDistances(vectors: readonly Float32Array[]): Float64Array {
  const n = vectors.length;
  const size = vectors[0]?.length ?? 0;
  const out = new Float64Array(n * n);
  for (let start = 0; start < size; start += BLOCK) {
    const end = Math.min(size, start + BLOCK);
    for (let i = 0; i < n; i++) {
      const a = vectors[i]!;
      const row = i * n;
      let j = i + 1;
      for (; j + 3 < n; j += 4) {
        const b0 = vectors[j]!;
        const b1 = vectors[j + 1]!;
        const b2 = vectors[j + 2]!;
        const b3 = vectors[j + 3]!;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let k = start; k < end; k++) {
          const x = a[k]!;
          const d0 = x - b0[k]!;
          const d1 = x - b1[k]!;
          const d2 = x - b2[k]!;
          const d3 = x - b3[k]!;
          s0 += d0 * d0;
          s1 += d1 * d1;
          s2 += d2 * d2;
          s3 += d3 * d3;
        }
        out[row + j] = out[row + j]! + s0;
        out[row + j + 1] = out[row + j + 1]! + s1;
        out[row + j + 2] = out[row + j + 2]! + s2;
        out[row + j + 3] = out[row + j + 3]! + s3;
      }
      for (; j < n; j++) {
        const b = vectors[j]!;
        let s = 0;
        for (let k = start; k < end; k++) {
          const d = a[k]! - b[k]!;
          s += d * d;
        }
        out[row + j] = out[row + j]! + s;
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j]!;
  return out;
}

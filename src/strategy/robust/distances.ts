/**
 * All pairwise squared L2 distances between a round's updates, for Krum and Bulyan. Differences are taken directly
 * (not through the Gram identity ||a||^2 + ||b||^2 - 2 a.b, which loses every digit when two long updates are
 * close, exactly the case Krum must rank well) and accumulated in float64. The coordinates are walked in blocks
 * so that one block of every update stays in cache while all n(n-1)/2 pairs use it: each update is read from
 * memory once instead of n - 1 times.
 */
const BLOCK = 4096;

/** Returns the symmetric n x n matrix (row-major, zero diagonal) of squared distances. */
export function pairwiseSquaredDistances(vectors: readonly Float32Array[]): Float64Array {
  const n = vectors.length;
  const size = vectors[0]?.length ?? 0;
  const distances = new Float64Array(n * n);
  for (let start = 0; start < size; start += BLOCK) {
    const end = Math.min(size, start + BLOCK);
    for (let i = 0; i < n; i++) {
      const a = vectors[i]!;
      for (let j = i + 1; j < n; j++) {
        const b = vectors[j]!;
        let sum = 0;
        for (let k = start; k < end; k++) {
          const d = a[k]! - b[k]!;
          sum += d * d;
        }
        distances[i * n + j] = distances[i * n + j]! + sum;
      }
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) distances[j * n + i] = distances[i * n + j]!;
  return distances;
}

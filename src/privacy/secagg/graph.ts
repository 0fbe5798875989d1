/**
 * The SecAgg+ masking graph (Bell et al. 2020): each client masks with, and shares its secrets among, its neighbours
 * on a random k-regular graph instead of all n - 1 others. As in the paper, the graph is a Harary graph H(k, n) over a
 * random permutation of the clients: on a ring in permuted order each client is joined to the k/2 nearest on either
 * side, and for odd k (n even) also to the client opposite. With k = n - 1 it is the complete graph, i.e. the original
 * protocol of Bonawitz et al. 2017.
 *
 * The permutation comes from a public 32-byte seed through the AES-CTR mask stream, so every party computes the same
 * graph without exchanging it.
 */
import { require as ensure } from '../../core/index.js';
import { expandMask } from './prg.js';

export interface MaskingGraph {
  readonly n: number;
  readonly degree: number;
  /** The neighbours of client `i`, in ascending order. */
  neighbours(i: number): readonly number[];
  areNeighbours(i: number, j: number): boolean;
}

/** The degree actually used: k capped at n - 1, and raised by one when n k is odd (no k-regular graph exists then). */
export function effectiveDegree(n: number, k: number): number {
  const capped = Math.min(k, n - 1);
  return (capped * n) % 2 === 1 ? capped + 1 : capped;
}

export async function buildMaskingGraph(n: number, k: number, seed: Uint8Array): Promise<MaskingGraph> {
  ensure(Number.isSafeInteger(n) && n >= 2, `a masking graph needs n >= 2 clients, got ${n}`);
  ensure(Number.isSafeInteger(k) && k >= 1, `a masking graph needs k >= 1 neighbours, got ${k}`);
  const degree = effectiveDegree(n, k);
  const order = await permutation(n, seed);
  const position = new Uint32Array(n);
  order.forEach((client, pos) => (position[client] = pos));
  const sets = Array.from({ length: n }, () => new Set<number>());
  const link = (a: number, b: number): void => {
    sets[a]!.add(b);
    sets[b]!.add(a);
  };
  for (let pos = 0; pos < n; pos++) {
    for (let step = 1; step <= Math.floor(degree / 2); step++) link(order[pos]!, order[(pos + step) % n]!);
    if (degree % 2 === 1) link(order[pos]!, order[(pos + n / 2) % n]!);
  }
  const lists = sets.map((s) => [...s].sort((a, b) => a - b));
  return {
    n,
    degree,
    neighbours: (i) => lists[i]!,
    areNeighbours: (i, j) => sets[i]!.has(j),
  };
}

/** A uniform permutation of 0..n-1 (Fisher-Yates with rejection sampling on the seed's stream). */
async function permutation(n: number, seed: Uint8Array): Promise<number[]> {
  ensure(seed.length === 32, `a graph seed must be 32 bytes, got ${seed.length}`);
  // Rejections are rare (probability < n / 2^32 per draw); 2n + 64 words cover them except with negligible chance,
  // and running out is detected rather than silently biased.
  const words = await expandMask(seed, 2 * n + 64);
  let next = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const range = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % range);
    let r: number;
    do {
      ensure(next < words.length, 'the graph seed stream ran out of words (astronomically unlikely)');
      r = words[next++]!;
    } while (r >= limit);
    const j = r % range;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Seeded, splittable pseudo-random numbers for reproducible runs (not for cryptography: secure aggregation uses the
 * platform's crypto). The generator is xoshiro128** (Blackman and Vigna) seeded through SplitMix32; `split(key)`
 * derives an independent child stream from the parent's seed and a key, so that e.g. client 17 in round 4 gets the
 * same numbers however many other clients were served before it or on which worker thread it runs.
 */
const UINT32 = 0x1_0000_0000;

function splitMix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a hash of a string key, used to derive child seeds. */
function hashKey(key: string | number): number {
  const text = String(key);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A seeded, splittable pseudo-random stream (xoshiro128**): the same seed and key path always give the same
 * numbers. Not for cryptography.
 * @example
 * ```ts
 * const rng = new Rng(42).split('shuffle', 3);
 * const order = Uint32Array.from({ length: 10 }, (_, i) => i);
 * rng.shuffleIndices(order);
 * console.log(rng.nextUint32(), order);
 * ```
 */
export class Rng {
  /** The seed this stream was created from (children derive theirs from it). */
  readonly seed: number;
  // The state words are kept as signed 32-bit integers: V8 stores those unboxed, which makes a draw about ten times
  // faster than keeping them unsigned (doubles above 2^31). The arithmetic is the same modulo 2^32.
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    this.seed = seed >>> 0;
    const next = splitMix32(this.seed ^ Math.floor(seed / UINT32));
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** An independent stream determined only by this stream's seed and the key path. */
  split(...keys: (string | number)[]): Rng {
    let seed = this.seed;
    for (const key of keys) seed = splitMix32(seed ^ hashKey(key))();
    return new Rng(seed);
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const scrambled = Math.imul(s1, 5);
    const result = Math.imul((scrambled << 7) | (scrambled >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). Unbiased (rejection sampling). */
  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new RangeError(`nextInt needs a positive integer, got ${n}`);
    if (n <= UINT32) {
      const limit = UINT32 - (UINT32 % n);
      let x: number;
      do x = this.nextUint32();
      while (x >= limit);
      return x % n;
    }
    return Math.floor(this.next() * n);
  }

  /** Standard normal draw (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) draw (Marsaglia and Tsang 2000; boosted for shape < 1). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
    if (shape < 1) {
      const u = this.next();
      return this.gamma(shape + 1) * Math.pow(u === 0 ? Number.MIN_VALUE : u, 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A draw from Dirichlet(alpha, ..., alpha) of dimension k (or the given concentration vector). */
  dirichlet(alpha: number | readonly number[], k?: number): number[] {
    const alphas = typeof alpha === 'number' ? new Array<number>(k ?? 0).fill(alpha) : [...alpha];
    const draws = alphas.map((a) => this.gamma(a));
    const total = draws.reduce((a, b) => a + b, 0);
    // With tiny alpha every gamma draw can underflow to 0; fall back to a one-hot on a random coordinate.
    if (total === 0 || !Number.isFinite(total)) {
      const hot = this.nextInt(alphas.length);
      return alphas.map((_, i) => (i === hot ? 1 : 0));
    }
    return draws.map((g) => g / total);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /** Shuffle of typed integer arrays in place (used for data indices). */
  shuffleIndices(indices: Uint32Array | Int32Array): void {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = indices[i]!;
      indices[i] = indices[j]!;
      indices[j] = tmp;
    }
  }

  /** `k` distinct items chosen uniformly, in the order drawn. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (k > items.length) throw new RangeError(`cannot sample ${k} of ${items.length} items`);
    const pool = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + this.nextInt(pool.length - i);
      const tmp = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }
}

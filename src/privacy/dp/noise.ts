/**
 * Sources of Gaussian noise for the DP mechanisms. Simulations use `SeededNoise` so a run can be replayed; real
 * deployments use `SecureNoise`, whose randomness comes from the platform CSPRNG (Web Crypto getRandomValues, which
 * is globalThis.crypto in Node 20 and in browsers).
 *
 * Known limitation, on purpose left for later: both sample N(0, 1) in floating point (Box-Muller) and scale it.
 * Mironov 2012 ("On Significance of the Least Significant Bits for Differential Privacy") showed that the set of
 * floating-point values such a sampler can output depends on the true value, which can leak it; Jin et al. 2022
 * extended the attack to Gaussian samplers. The principled fix is a discrete Gaussian sampler on a fixed grid
 * (Canonne, Kamath and Steinke 2020) followed by exact arithmetic; until then SecureNoise protects against
 * predicting the noise but not against this side channel, and the accounted epsilon assumes ideal Gaussians.
 */
import { FlotillaError } from '../../core/errors.js';
import type { Rng } from '../../core/rng.js';

export interface NoiseSource {
  readonly name: string;
  /** One draw from N(0, 1). */
  standardNormal(): number;
  /** target[i] += N(0, stddev^2) for every i, independently. */
  addGaussian(target: Float32Array | Float64Array, stddev: number): void;
}

/**
 * target[i] += stddev * N(0, 1), Box-Muller on pairs of uniforms: `open()` in (0, 1] (its log is finite) and
 * `half()` in [0, 1). Both coordinates of each pair are used in place, without the single-draw spare: DP-SGD noises
 * every parameter every step, and this halves the time of per-draw calls.
 */
function addScaledNormals(
  target: Float32Array | Float64Array,
  stddev: number,
  open: () => number,
  half: () => number,
  single: () => number,
): void {
  if (!(stddev >= 0) || !Number.isFinite(stddev)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `noise standard deviation must be finite and >= 0, got ${stddev}`,
    );
  }
  if (stddev === 0) return;
  let i = 0;
  for (; i + 1 < target.length; i += 2) {
    const radius = stddev * Math.sqrt(-2 * Math.log(open()));
    const angle = 2 * Math.PI * half();
    target[i] = target[i]! + radius * Math.cos(angle);
    target[i + 1] = target[i + 1]! + radius * Math.sin(angle);
  }
  if (i < target.length) target[i] = target[i]! + stddev * single();
}

/** Reproducible noise from a seeded core Rng (for simulation; not for protecting real data). */
export class SeededNoise implements NoiseSource {
  readonly name = 'seeded';

  constructor(private readonly rng: Rng) {}

  standardNormal(): number {
    return this.rng.normal();
  }

  addGaussian(target: Float32Array | Float64Array, stddev: number): void {
    const rng = this.rng;
    addScaledNormals(
      target,
      stddev,
      () => 1 - rng.next(),
      () => rng.next(),
      () => rng.normal(),
    );
  }
}

/** Fills a Uint32Array with cryptographically secure random words (the shape of Web Crypto getRandomValues). */
export type RandomWords = (words: Uint32Array) => Uint32Array;

/** Words fetched per getRandomValues call; Web Crypto allows at most 65536 bytes per call. */
const BATCH_WORDS = 4096;
const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;

/** Gaussian noise from the platform CSPRNG: Box-Muller on uniforms with 53 random bits. */
export class SecureNoise implements NoiseSource {
  readonly name = 'secure';
  private readonly randomWords: RandomWords;
  private readonly words = new Uint32Array(BATCH_WORDS);
  private next = BATCH_WORDS;
  private spare: number | undefined;

  /** `randomWords` defaults to globalThis.crypto.getRandomValues; pass another CSPRNG on exotic platforms. */
  constructor(randomWords?: RandomWords) {
    const webCrypto = (globalThis as { crypto?: Crypto }).crypto;
    if (!randomWords && typeof webCrypto?.getRandomValues !== 'function') {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'SecureNoise needs Web Crypto (globalThis.crypto.getRandomValues), which this platform lacks',
      );
    }
    this.randomWords = randomWords ?? ((words) => webCrypto!.getRandomValues(words));
  }

  standardNormal(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    // u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1). Each has 53 uniform bits, the full double mantissa.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  }

  addGaussian(target: Float32Array | Float64Array, stddev: number): void {
    addScaledNormals(
      target,
      stddev,
      () => 1 - this.uniform(),
      () => this.uniform(),
      () => this.standardNormal(),
    );
  }

  /** Uniform on [0, 1) with 53 random bits (27 from one word, 26 from the next). */
  private uniform(): number {
    const hi = this.word() >>> 5;
    const lo = this.word() >>> 6;
    return (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }

  private word(): number {
    if (this.next === BATCH_WORDS) {
      this.randomWords(this.words);
      this.next = 0;
    }
    return this.words[this.next++]!;
  }
}

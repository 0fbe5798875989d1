/**
 * CKKS parameters for homomorphic aggregation. The server only ever adds ciphertexts, so the multiplicative depth
 * the default modulus chain allows is unused; the defaults follow SEAL's standard CKKS example (N = 8192,
 * 60 + 40 + 40 + 60 bits, scale 2^40) so that they stay within SEAL's 128-bit security table and leave headroom for
 * weighted sums (values up to about 2^(140 - 40 - 1) at the data level). Errors are CONFIG_INVALID and name the value.
 */
import { FlotillaError } from '../../core/index.js';

export interface CkksParams {
  /** N, a power of two; a ciphertext packs N / 2 values. Default 8192. */
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient modulus primes; the last one is the special (key-switching) prime. */
  readonly coeffModulusBits: readonly number[];
  /** Values are encoded at scale 2^scaleBits: absolute precision is about 2^-scaleBits times the noise. */
  readonly scaleBits: number;
}

export const DEFAULT_CKKS_PARAMS: CkksParams = Object.freeze({
  polyModulusDegree: 8192,
  coeffModulusBits: Object.freeze([60, 40, 40, 60]),
  scaleBits: 40,
});

/**
 * SEAL's 128-bit security bound on the total coefficient-modulus bits (HomomorphicEncryption.org standard, ternary
 * secret). The context build checks it again; checking here gives an error that names the numbers.
 */
const MAX_COEFF_BITS_128: Readonly<Record<number, number>> = {
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
};

function invalid(message: string): FlotillaError {
  return new FlotillaError('CONFIG_INVALID', message);
}

/** Fills defaults and checks every field; returns a frozen copy. */
export function resolveCkksParams(params: Partial<CkksParams> = {}): CkksParams {
  const polyModulusDegree = params.polyModulusDegree ?? DEFAULT_CKKS_PARAMS.polyModulusDegree;
  const coeffModulusBits = params.coeffModulusBits ?? DEFAULT_CKKS_PARAMS.coeffModulusBits;
  const scaleBits = params.scaleBits ?? DEFAULT_CKKS_PARAMS.scaleBits;

  const maxBits = MAX_COEFF_BITS_128[polyModulusDegree];
  if (!Number.isInteger(polyModulusDegree) || maxBits === undefined) {
    throw invalid(
      `polyModulusDegree must be one of ${Object.keys(MAX_COEFF_BITS_128).join(', ')}; got ${polyModulusDegree}`,
    );
  }
  if (!Array.isArray(coeffModulusBits) || coeffModulusBits.length < 2) {
    throw invalid(
      `coeffModulusBits needs at least two primes (data and special), got ${JSON.stringify(coeffModulusBits)}`,
    );
  }
  for (const bits of coeffModulusBits) {
    // SEAL's prime generator supports 2..60 bits; below 20 bits there are too few NTT-friendly primes to be useful.
    if (!Number.isInteger(bits) || bits < 20 || bits > 60) {
      throw invalid(`every coeffModulusBits entry must be an integer in [20, 60], got ${bits}`);
    }
  }
  const total = coeffModulusBits.reduce((a, b) => a + b, 0);
  if (total > maxBits) {
    throw invalid(
      `coeffModulusBits total ${total} bits exceeds the 128-bit security bound of ${maxBits} bits for ` +
        `polyModulusDegree ${polyModulusDegree}`,
    );
  }
  if (!Number.isInteger(scaleBits) || scaleBits < 10 || scaleBits > 60) {
    throw invalid(`scaleBits must be an integer in [10, 60], got ${scaleBits}`);
  }
  // The data level keeps every prime but the special one; the scaled values must fit below it with room for sums.
  const dataBits = total - coeffModulusBits[coeffModulusBits.length - 1]!;
  if (scaleBits >= dataBits - 10) {
    throw invalid(
      `scaleBits ${scaleBits} leaves no headroom under the ${dataBits}-bit data modulus ` +
        `(needs scaleBits < ${dataBits - 10})`,
    );
  }
  return Object.freeze({
    polyModulusDegree,
    coeffModulusBits: Object.freeze([...coeffModulusBits]),
    scaleBits,
  });
}

/** Values one ciphertext carries: N / 2 (4,096 at the default N = 8192). */
export function slotCount(params: Pick<CkksParams, 'polyModulusDegree'>): number {
  return params.polyModulusDegree / 2;
}

/** Ciphertexts needed for a d-dimensional update. */
export function ciphertextCount(d: number, params: Pick<CkksParams, 'polyModulusDegree'>): number {
  return Math.ceil(d / slotCount(params));
}

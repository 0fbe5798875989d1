/**
 * Shamir secret sharing of 32-byte secrets over the prime field Z_p, p = 2^256 + 297 (the smallest prime above
 * 2^256; shamir.test.ts checks primality).
 *
 * Why this field: every 32-byte secret (a self-mask seed, an X25519 scalar) is one field element, so a share is one
 * element (33 bytes) and sharing is one polynomial per secret, with no splitting into chunks. Unlike byte-wise GF(2^8)
 * sharing it has no 255-shareholder limit, so the original protocol (k = n - 1) works for any n. A degree t - 1
 * polynomial with uniformly random coefficients makes any t - 1 shares uniformly distributed and independent of the
 * secret (information-theoretic hiding); BigInt arithmetic costs O(k t) products per sharing, negligible next to the
 * mask expansion.
 *
 * Shareholder x-coordinates are small positive integers (client index + 1), so the divisions in interpolation are by
 * small differences whose inverses are cached.
 *
 * Reconstruction is robust: it decodes the polynomial from all shares received (Berlekamp-Welch when some disagree),
 * checks the secret against a verifier (a commitment or a public key), and names the shareholders whose shares lie off
 * the polynomial, so the server can drop them with a reason instead of failing the round.
 */
import { require as ensure } from '../../core/index.js';
import { randomBytes } from './crypto.js';

export const FIELD_PRIME = (1n << 256n) + 297n;
export const SECRET_BYTES = 32;
/** A share is one field element, big-endian. */
export const SHARE_BYTES = 33;

export interface Share {
  /** The shareholder's x-coordinate (>= 1). */
  readonly x: number;
  readonly y: bigint;
}

const mod = (a: bigint): bigint => {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
};

/** Modular inverse by the extended Euclidean algorithm. */
function invert(a: bigint): bigint {
  let [r0, r1] = [mod(a), FIELD_PRIME];
  let [s0, s1] = [1n, 0n];
  if (r0 === 0n) throw new RangeError('zero has no inverse');
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

const smallInverses = new Map<number, bigint>();
/** Inverse of a small nonzero integer (a difference of x-coordinates), cached. */
function invertSmall(n: number): bigint {
  let inv = smallInverses.get(n);
  if (inv === undefined) {
    inv = invert(BigInt(n));
    smallInverses.set(n, inv);
  }
  return inv;
}

export function bytesToField(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fieldToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const encodeShare = (y: bigint): Uint8Array => fieldToBytes(y, SHARE_BYTES);

/** Reads a 33-byte share; undefined when it is not a field element (a malformed share). */
export function decodeShare(bytes: Uint8Array): bigint | undefined {
  if (bytes.length !== SHARE_BYTES) return undefined;
  const y = bytesToField(bytes);
  return y < FIELD_PRIME ? y : undefined;
}

/** A uniform field element by rejection sampling (257 random bits; about half are accepted). */
function randomElement(): bigint {
  for (;;) {
    const bytes = randomBytes(SHARE_BYTES);
    bytes[0]! &= 1;
    const v = bytesToField(bytes);
    if (v < FIELD_PRIME) return v;
  }
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    ensure(Number.isSafeInteger(x) && x >= 1, `shareholder x-coordinates must be integers >= 1, got ${x}`);
    ensure(!seen.has(x), `shareholder x-coordinate ${x} appears twice`);
    seen.add(x);
  }
}

/** Splits a 32-byte secret so that any `threshold` of the shares (one per x in `xs`) recover it. */
export function split(secret: Uint8Array, threshold: number, xs: readonly number[]): Share[] {
  ensure(secret.length === SECRET_BYTES, `a secret must be ${SECRET_BYTES} bytes, got ${secret.length}`);
  ensure(
    Number.isSafeInteger(threshold) && threshold >= 1 && threshold <= xs.length,
    `threshold must be an integer in [1, ${xs.length}] (the number of shareholders), got ${threshold}`,
  );
  checkXs(xs);
  const coefficients = [bytesToField(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomElement());
  return xs.map((x) => {
    const bx = BigInt(x);
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + coefficients[i]!) % FIELD_PRIME;
    return { x, y };
  });
}

/** Newton form of the polynomial through `points`: its divided-difference coefficients. */
function newton(points: readonly Share[]): bigint[] {
  const c = points.map((p) => p.y);
  for (let level = 1; level < points.length; level++) {
    for (let i = points.length - 1; i >= level; i--) {
      const dx = points[i]!.x - points[i - level]!.x;
      const inv = dx > 0 ? invertSmall(dx) : FIELD_PRIME - invertSmall(-dx);
      c[i] = mod((c[i]! - c[i - 1]!) * inv);
    }
  }
  return c;
}

function evalNewton(points: readonly Share[], c: readonly bigint[], x: number): bigint {
  let v = c[c.length - 1]!;
  for (let i = c.length - 2; i >= 0; i--) v = mod(v * BigInt(x - points[i]!.x) + c[i]!);
  return v;
}

/**
 * The secret from exactly the polynomial through the first `threshold` shares (no consistency check). Throws
 * INVALID_ARGUMENT with fewer than `threshold` shares: t - 1 shares determine nothing about the secret.
 */
export function combine(shares: readonly Share[], threshold: number): Uint8Array {
  ensure(shares.length >= threshold, `recovering a secret needs ${threshold} shares, got ${shares.length}`);
  const points = shares.slice(0, threshold);
  checkXs(points.map((s) => s.x));
  return secretBytes(evalNewton(points, newton(points), 0));
}

function secretBytes(v: bigint): Uint8Array {
  // A secret is < 2^256; a larger value only comes from inconsistent shares and is caught by the verifier.
  return fieldToBytes(v & ((1n << 256n) - 1n), SECRET_BYTES);
}

export interface Recovery {
  readonly secret: Uint8Array;
  /** x-coordinates of shares that lie off the recovered polynomial. */
  readonly inconsistent: readonly number[];
}

/**
 * Recovers a secret from `shares` (at least `threshold`, distinct x), tolerating up to floor((m - t) / 2) wrong
 * shares among m, and accepts only a secret that `verify` confirms. Returns undefined when no verified secret is
 * within reach (too many wrong shares, or a dealer whose shares do not encode the secret it committed to).
 */
export async function recover(
  shares: readonly Share[],
  threshold: number,
  verify: (secret: Uint8Array) => Promise<boolean>,
): Promise<Recovery | undefined> {
  ensure(shares.length >= threshold, `recovering a secret needs ${threshold} shares, got ${shares.length}`);
  checkXs(shares.map((s) => s.x));
  const maxErrors = Math.floor((shares.length - threshold) / 2);
  for (let errors = 0; errors <= maxErrors; errors++) {
    const poly =
      errors === 0 ? interpolateFirst(shares, threshold) : berlekampWelch(shares, threshold, errors);
    if (!poly) continue;
    const inconsistent = shares.filter((s) => poly(s.x) !== s.y).map((s) => s.x);
    // More disagreeing shares than assumed: the shares used to build the polynomial held a bad one; assume more.
    if (inconsistent.length > errors) continue;
    const value = poly(0);
    if (value >= 1n << 256n) continue;
    const secret = secretBytes(value);
    if (await verify(secret)) return { secret, inconsistent };
  }
  return undefined;
}

function interpolateFirst(shares: readonly Share[], threshold: number): (x: number) => bigint {
  const points = shares.slice(0, threshold);
  const c = newton(points);
  return (x) => evalNewton(points, c, x);
}

/**
 * Berlekamp-Welch decoding with `errors` assumed errors: finds E (monic, degree e) and Q (degree < t + e) with
 * Q(x_i) = y_i E(x_i) for every share, then P = Q / E. Returns undefined when the system is inconsistent or E does not
 * divide Q (more errors than assumed).
 */
function berlekampWelch(
  shares: readonly Share[],
  threshold: number,
  errors: number,
): ((x: number) => bigint) | undefined {
  const qTerms = threshold + errors;
  const unknowns = qTerms + errors;
  // Row i: sum_j q_j x^j - y * sum_{j<e} e_j x^j = y x^e.
  const rows = shares.map(({ x, y }) => {
    const bx = BigInt(x);
    const row: bigint[] = [];
    let power = 1n;
    const powers: bigint[] = [];
    for (let j = 0; j <= qTerms; j++) {
      powers.push(power);
      power = (power * bx) % FIELD_PRIME;
    }
    for (let j = 0; j < qTerms; j++) row.push(powers[j]!);
    for (let j = 0; j < errors; j++) row.push(mod(-y * powers[j]!));
    row.push(mod(y * powers[errors]!));
    return row;
  });
  const solution = solve(rows, unknowns);
  if (!solution) return undefined;
  const q = solution.slice(0, qTerms);
  const e = [...solution.slice(qTerms), 1n];
  const p = dividePolynomials(q, e);
  if (!p) return undefined;
  return (x) => {
    const bx = BigInt(x);
    let v = 0n;
    for (let i = p.length - 1; i >= 0; i--) v = (v * bx + p[i]!) % FIELD_PRIME;
    return v;
  };
}

/** Gaussian elimination mod p of an augmented system; free variables are set to zero. */
function solve(rows: bigint[][], unknowns: number): bigint[] | undefined {
  const m = rows.map((r) => [...r]);
  const pivots: number[] = [];
  let rank = 0;
  for (let col = 0; col < unknowns && rank < m.length; col++) {
    const pivot = m.findIndex((r, i) => i >= rank && r[col] !== 0n);
    if (pivot < 0) continue;
    [m[rank], m[pivot]] = [m[pivot]!, m[rank]!];
    const inv = invert(m[rank]![col]!);
    m[rank] = m[rank]!.map((v) => (v * inv) % FIELD_PRIME);
    for (let i = 0; i < m.length; i++) {
      if (i === rank || m[i]![col] === 0n) continue;
      const f = m[i]![col]!;
      m[i] = m[i]!.map((v, j) => mod(v - f * m[rank]![j]!));
    }
    pivots.push(col);
    rank++;
  }
  for (let i = rank; i < m.length; i++) if (m[i]![unknowns] !== 0n) return undefined;
  const out = new Array<bigint>(unknowns).fill(0n);
  pivots.forEach((col, i) => (out[col] = m[i]![unknowns]!));
  return out;
}

/** Exact division of polynomials (coefficients low to high, divisor monic); undefined when a remainder is left. */
function dividePolynomials(numerator: readonly bigint[], divisor: readonly bigint[]): bigint[] | undefined {
  const rem = [...numerator];
  const dd = divisor.length - 1;
  const quotient = new Array<bigint>(Math.max(0, rem.length - dd)).fill(0n);
  for (let i = rem.length - 1; i >= dd; i--) {
    const coef = rem[i]!;
    quotient[i - dd] = coef;
    if (coef === 0n) continue;
    for (let j = 0; j <= dd; j++) rem[i - dd + j] = mod(rem[i - dd + j]! - coef * divisor[j]!);
  }
  for (let i = 0; i < dd; i++) if (rem[i] !== 0n) return undefined;
  return quotient;
}

import { describe, expect, it } from 'vitest';
import { toHex } from '../../core/index.js';
import { randomBytes } from './crypto.js';
import { FIELD_PRIME, combine, decodeShare, encodeShare, recover, split } from './shamir.js';

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  base %= m;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) r = (r * base) % m;
    base = (base * base) % m;
  }
  return r;
}

/** Miller-Rabin with the first 20 primes as bases. */
function isProbablePrime(n: bigint): boolean {
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (const a of [
    2n,
    3n,
    5n,
    7n,
    11n,
    13n,
    17n,
    19n,
    23n,
    29n,
    31n,
    37n,
    41n,
    43n,
    47n,
    53n,
    59n,
    61n,
    67n,
    71n,
  ]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let i = 1; i < s && witness; i++) {
      x = (x * x) % n;
      if (x === n - 1n) witness = false;
    }
    if (witness) return false;
  }
  return true;
}

/** All k-subsets of items (small inputs only). */
function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [head, ...rest] = items;
  return [...subsets(rest, k - 1).map((s) => [head!, ...s]), ...subsets(rest, k)];
}

describe('Shamir sharing over 2^256 + 297', () => {
  it('uses a prime field that holds every 32-byte secret', () => {
    expect(isProbablePrime(FIELD_PRIME)).toBe(true);
    expect(FIELD_PRIME > 1n << 256n).toBe(true);
    expect(isProbablePrime(FIELD_PRIME - 2n)).toBe(false);
  });

  it('recovers the secret from any t of the shares', () => {
    const secret = randomBytes(32);
    secret[0] = 0xff; // the top of the range
    const shares = split(secret, 3, [1, 2, 3, 4, 5, 6]);
    for (const subset of subsets(shares, 3)) expect(toHex(combine(subset, 3))).toBe(toHex(secret));
  });

  it('refuses to combine t - 1 shares', () => {
    const shares = split(randomBytes(32), 4, [2, 5, 7, 9, 11]);
    expect(() => combine(shares.slice(0, 3), 4)).toThrow(/needs 4 shares, got 3/);
  });

  it('makes any t - 1 shares jointly uniform whatever the secret (information-theoretic hiding)', () => {
    // t = 3: the pair (share 1, share 2) of a fixed secret, bucketed by the top nibble of each, over many sharings.
    for (const secret of [new Uint8Array(32), new Uint8Array(32).fill(0xff)]) {
      const counts = new Array<number>(256).fill(0);
      const trials = 6400;
      for (let i = 0; i < trials; i++) {
        const [a, b] = split(secret, 3, [1, 2, 3]);
        counts[Number((a!.y >> 252n) & 0xfn) * 16 + Number((b!.y >> 252n) & 0xfn)]!++;
      }
      const expected = trials / 256;
      const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(330.5); // 255 degrees of freedom, p = 0.001
    }
  });

  it('encodes shares in 33 bytes and rejects values outside the field', () => {
    const [share] = split(randomBytes(32), 2, [1, 2]);
    expect(decodeShare(encodeShare(share!.y))).toBe(share!.y);
    expect(decodeShare(encodeShare(FIELD_PRIME))).toBeUndefined();
    expect(decodeShare(new Uint8Array(32))).toBeUndefined();
  });

  it('recovers through wrong shares and names their holders', async () => {
    const secret = randomBytes(32);
    const shares = split(secret, 4, [1, 2, 3, 4, 5, 6, 7, 8]);
    const bad = shares.map((s) => (s.x === 2 || s.x === 7 ? { x: s.x, y: (s.y + 12345n) % FIELD_PRIME } : s));
    const verify = async (s: Uint8Array) => toHex(s) === toHex(secret);
    const recovery = await recover(bad, 4, verify);
    expect(recovery && toHex(recovery.secret)).toBe(toHex(secret));
    expect(recovery?.inconsistent).toEqual([2, 7]);
    // Three wrong shares among eight exceed what t = 4 can correct: no secret rather than a wrong one.
    const worse = bad.map((s) => (s.x === 4 ? { x: 4, y: 1n } : s));
    expect(await recover(worse, 4, verify)).toBeUndefined();
    // A consistent set of shares of a secret the verifier rejects (a dealer that lied) is not accepted either.
    expect(await recover(shares, 4, async () => false)).toBeUndefined();
  });

  it('checks its arguments', () => {
    expect(() => split(new Uint8Array(31), 2, [1, 2])).toThrow(/32 bytes/);
    expect(() => split(new Uint8Array(32), 3, [1, 2])).toThrow(/threshold/);
    expect(() => split(new Uint8Array(32), 2, [1, 1])).toThrow(/twice/);
    expect(() => split(new Uint8Array(32), 2, [0, 1])).toThrow(/>= 1/);
  });
});

/**
 * Bearer tokens and their stored form. Only `scrypt$N$r$p$salt$hash` is written (base64url salt and key), never the
 * token; verification recomputes the key with the stored parameters and compares in constant time.
 *
 * Cost: generated client tokens carry 256 random bits, so key stretching buys nothing against guessing and would
 * only make a thousand clients reconnecting at once expensive; they use N=2^10 (about 3 ms). An admin token may be
 * chosen by a person, so it gets N=2^14 (about 50 ms). Both parameters are stored with the hash and can be raised
 * later without invalidating existing tokens.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { FlotillaError } from '../../core/index.js';

export const CLIENT_TOKEN_COST = 1 << 10;
export const ADMIN_TOKEN_COST = 1 << 14;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

/** A fresh client token: a recognizable prefix (secret scanners, logs) and 256 random bits. */
export function generateToken(): string {
  return `flc_${randomBytes(32).toString('base64url')}`;
}

function derive(token: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem: scrypt needs 128 * N * r bytes; the default 32 MiB cap is too low for larger N.
    scrypt(token, salt, KEY_BYTES, { ...options, maxmem: 256 * 1024 * 1024 }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashToken(token: string, cost: number): Promise<string> {
  if (typeof token !== 'string' || token.length === 0) {
    throw new FlotillaError('INVALID_ARGUMENT', 'a token must be a non-empty string');
  }
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(token, salt, { N: cost, r: BLOCK_SIZE, p: PARALLELISM });
  return [
    'scrypt',
    cost,
    BLOCK_SIZE,
    PARALLELISM,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/**
 * True when `token` matches `stored`. Without a stored hash (unknown or revoked client) it still derives a key, so a
 * caller cannot tell those apart from a wrong token by timing.
 */
export async function verifyToken(token: string, stored: string | undefined): Promise<boolean> {
  if (stored === undefined) {
    await derive(token, Buffer.alloc(SALT_BYTES), { N: CLIENT_TOKEN_COST, r: BLOCK_SIZE, p: PARALLELISM });
    return false;
  }
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new FlotillaError('STORAGE_CORRUPT', 'stored token hash is not in scrypt$N$r$p$salt$hash form');
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(token, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** SHA-256 fingerprints as lowercase hex without separators, however the caller wrote them. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      'a certificate fingerprint must be a SHA-256 digest: 64 hex digits, optionally separated by ":"',
    );
  }
  return hex;
}

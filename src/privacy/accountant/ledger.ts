/**
 * Ledger entries: what one mechanism, run for a number of steps, costs. RDP composes by adding per order (Mironov
 * 2017, Proposition 1), so the RDP curve of an entry is `steps` times its one-step curve and that of a ledger is the
 * sum of its entries' curves, whatever mix of mechanisms they describe.
 *
 * `z` is always the noise standard deviation divided by the L2 sensitivity of the noised quantity under the
 * sampling scheme's adjacency: add/remove-one for 'poisson' and for plain 'gaussian', replace-one for 'fixed-size'.
 */
import { FlotillaError } from '../../core/errors.js';
import { fixedSizeGaussianRdp } from './fixed-size.js';
import { poissonGaussianRdp } from './poisson.js';

export type Sampling = 'poisson' | 'fixed-size';

/** A subsampled Gaussian mechanism: each step samples records at rate q and adds N(0, z^2) noise. */
export interface SampledGaussianEntry {
  readonly mechanism: 'sampled-gaussian';
  readonly sampling: Sampling;
  /** Sampling rate: inclusion probability (poisson) or subset size / population (fixed-size), in [0, 1]. */
  readonly q: number;
  /** Noise multiplier: noise standard deviation / L2 sensitivity; > 0. */
  readonly z: number;
  /** Number of identical steps; a non-negative integer. */
  readonly steps: number;
  /** Free text for people reading the ledger (e.g. "rounds 1-50, central noise"). */
  readonly label?: string;
}

/** The Gaussian mechanism on the whole data set (no sampling, q = 1): RDP alpha / (2 z^2) per step. */
export interface GaussianEntry {
  readonly mechanism: 'gaussian';
  readonly z: number;
  readonly steps: number;
  readonly label?: string;
}

export type LedgerEntry = SampledGaussianEntry | GaussianEntry;

function fail(message: string): never {
  throw new FlotillaError('INVALID_ARGUMENT', `invalid privacy ledger entry: ${message}`);
}

/** Checks an entry from code or from storage; returns it typed. */
export function validateEntry(value: unknown): LedgerEntry {
  if (typeof value !== 'object' || value === null) fail('not an object');
  const entry = value as Record<string, unknown>;
  const { mechanism, z, steps, label } = entry;
  if (typeof z !== 'number' || !(z > 0) || !Number.isFinite(z)) {
    fail(`noise multiplier z must be finite and > 0, got ${String(z)}`);
  }
  if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 0) {
    fail(`steps must be a non-negative integer, got ${String(steps)}`);
  }
  if (label !== undefined && typeof label !== 'string') fail('label must be a string');
  if (mechanism === 'gaussian') return entry as unknown as GaussianEntry;
  if (mechanism !== 'sampled-gaussian') {
    fail(`mechanism must be 'sampled-gaussian' or 'gaussian', got ${JSON.stringify(mechanism)}`);
  }
  const { sampling, q } = entry;
  if (sampling !== 'poisson' && sampling !== 'fixed-size') {
    fail(`sampling must be 'poisson' or 'fixed-size', got ${JSON.stringify(sampling)}`);
  }
  if (typeof q !== 'number' || !(q >= 0 && q <= 1))
    fail(`sampling rate q must be in [0, 1], got ${String(q)}`);
  return entry as unknown as SampledGaussianEntry;
}

export function validateOrders(orders: readonly number[]): void {
  if (orders.length === 0) throw new FlotillaError('INVALID_ARGUMENT', 'need at least one Rényi order');
  for (const alpha of orders) {
    if (!(alpha > 1) || !Number.isFinite(alpha)) {
      throw new FlotillaError('INVALID_ARGUMENT', `Rényi orders must be finite and > 1, got ${alpha}`);
    }
  }
}

/** The RDP of one step of the entry's mechanism at each order (steps are ignored). */
export function stepRdp(entry: LedgerEntry, orders: readonly number[]): Float64Array {
  const out = new Float64Array(orders.length);
  orders.forEach((alpha, k) => {
    if (entry.mechanism === 'gaussian') out[k] = alpha / (2 * entry.z * entry.z);
    else if (entry.sampling === 'poisson') out[k] = poissonGaussianRdp(entry.q, entry.z, alpha);
    else out[k] = fixedSizeGaussianRdp(entry.q, entry.z, alpha);
  });
  return out;
}

/** A key under which entries with the same one-step curve can share it. */
export function stepKey(entry: LedgerEntry): string {
  return entry.mechanism === 'gaussian'
    ? `gaussian:${entry.z}`
    : `sampled-gaussian:${entry.sampling}:${entry.q}:${entry.z}`;
}

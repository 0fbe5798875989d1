/**
 * How the server picks each round's clients, as far as privacy accounting is concerned, and the resulting noise
 * multiplier as the accountant needs it.
 */
import { FlotillaError } from '../../core/errors.js';
import type { Sampling } from '../accountant/ledger.js';

export interface ClientSampling {
  /** 'poisson': each client joins independently with probability `rate`; 'fixed-size': exactly `clientsPerRound`. */
  readonly kind: Sampling;
  /** Inclusion probability (poisson) or clientsPerRound / population (fixed-size), in (0, 1]. */
  readonly rate: number;
  /**
   * The denominator m of the averaged update: the number of clients per round for fixed-size sampling, and the
   * expected number (rate * population) for Poisson sampling, where the server must divide the sum of clipped
   * updates by this fixed number, not by how many actually came (the fixed-denominator estimator of McMahan et al.
   * 2018), because the actual count is itself private.
   */
  readonly clientsPerRound: number;
}

export function assertSampling(sampling: ClientSampling): void {
  const { kind, rate, clientsPerRound } = sampling;
  if (kind !== 'poisson' && kind !== 'fixed-size') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `sampling kind must be 'poisson' or 'fixed-size', got ${String(kind)}`,
    );
  }
  if (!(rate > 0 && rate <= 1)) {
    throw new FlotillaError('INVALID_ARGUMENT', `client sampling rate must be in (0, 1], got ${rate}`);
  }
  if (!(clientsPerRound > 0) || !Number.isFinite(clientsPerRound)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `clients per round must be finite and > 0, got ${clientsPerRound}`,
    );
  }
}

/**
 * The noise multiplier to record in the ledger when noise of standard deviation z * C protects a sum of
 * contributions clipped to norm C. Poisson sampling is analysed under add/remove-one adjacency, where one client
 * moves the sum by at most C, so z is recorded as is. Fixed-size sampling (Wang, Balle and Kasiviswanathan 2019) is
 * analysed under replace-one adjacency, where one client can move the sum from u to u' with |u - u'| <= 2C: the
 * effective multiplier is z / 2. This halving is easy to miss and makes fixed-size epsilons honest.
 */
export function accountedNoiseMultiplier(z: number, kind: Sampling): number {
  return kind === 'fixed-size' ? z / 2 : z;
}

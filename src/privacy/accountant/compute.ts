/**
 * One-shot functions for the common question "what does training with these settings cost?" and its inverse
 * "how much noise do I need for this budget?".
 */
import { FlotillaError } from '../../core/errors.js';
import { epsilonFromRdp, type Conversion, type EpsilonResult } from './conversion.js';
import { stepRdp, validateEntry, validateOrders, type Sampling } from './ledger.js';
import { DEFAULT_ORDERS } from './orders.js';

export interface EpsilonQuery {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
  readonly delta: number;
  /** Default 'poisson'. */
  readonly sampling?: Sampling;
  /** Default 'improved'. */
  readonly conversion?: Conversion;
  /** Default DEFAULT_ORDERS. */
  readonly orders?: readonly number[];
}

/** Epsilon of `steps` compositions of the sampled Gaussian mechanism, at the given delta. */
export function computeEpsilon(query: EpsilonQuery): EpsilonResult {
  const orders = query.orders ?? DEFAULT_ORDERS;
  validateOrders(orders);
  const entry = validateEntry({
    mechanism: 'sampled-gaussian',
    sampling: query.sampling ?? 'poisson',
    q: query.samplingRate,
    z: query.noiseMultiplier,
    steps: query.steps,
  });
  const rdp = stepRdp(entry, orders);
  for (let k = 0; k < rdp.length; k++) rdp[k] = rdp[k]! * entry.steps;
  return epsilonFromRdp(orders, rdp, query.delta, query.conversion ?? 'improved');
}

export interface NoiseQuery {
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly sampling?: Sampling;
  readonly conversion?: Conversion;
  readonly orders?: readonly number[];
}

export interface NoiseResult extends EpsilonResult {
  readonly noiseMultiplier: number;
}

/** Bisection stops once the bracket [lo, hi] is this narrow relative to hi. */
export const NOISE_RELATIVE_TOLERANCE = 1e-6;
/** The largest noise multiplier searched; a budget not met there is reported as unattainable. */
const MAX_NOISE_MULTIPLIER = 1e4;
/** Below this the noise is so small that every realistic budget is exceeded. */
const MIN_NOISE_MULTIPLIER = 1e-3;

/**
 * The smallest noise multiplier z (to NOISE_RELATIVE_TOLERANCE) whose epsilon is at most `targetEpsilon`.
 * Epsilon decreases in z (each order's RDP does), so we bracket by doubling/halving from z = 1 and bisect,
 * always keeping the upper end feasible: the returned z meets the budget, it is never rounded down past it.
 * Throws PRIVACY_UNATTAINABLE when even z = 1e4 does not meet it: with RDP accounting epsilon never falls below the
 * conversion's floor at z = infinity (about log(1/delta) / (alpha_max - 1)), so tiny budgets need more orders.
 */
export function computeNoiseMultiplier(query: NoiseQuery): NoiseResult {
  const { targetEpsilon } = query;
  if (!(targetEpsilon > 0) || !Number.isFinite(targetEpsilon)) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `target epsilon must be finite and > 0, got ${targetEpsilon}`,
    );
  }
  const at = (noiseMultiplier: number): EpsilonResult => computeEpsilon({ ...query, noiseMultiplier });

  let hi = 1;
  let hiResult = at(hi);
  let lo = hi;
  if (hiResult.epsilon > targetEpsilon) {
    while (hiResult.epsilon > targetEpsilon) {
      if (hi >= MAX_NOISE_MULTIPLIER) {
        throw new FlotillaError(
          'PRIVACY_UNATTAINABLE',
          `no noise multiplier up to ${MAX_NOISE_MULTIPLIER} reaches epsilon ${targetEpsilon} at delta ` +
            `${query.delta} (epsilon there is ${hiResult.epsilon}); raise the budget or add larger orders`,
        );
      }
      lo = hi;
      hi = Math.min(2 * hi, MAX_NOISE_MULTIPLIER);
      hiResult = at(hi);
    }
  } else {
    // Walk down until infeasible; if even tiny noise meets the budget, tiny noise is the answer.
    while (lo > MIN_NOISE_MULTIPLIER) {
      lo = Math.max(lo / 2, MIN_NOISE_MULTIPLIER);
      const result = at(lo);
      if (result.epsilon > targetEpsilon) break;
      hi = lo;
      hiResult = result;
    }
  }
  while (hi - lo > NOISE_RELATIVE_TOLERANCE * hi) {
    const mid = 0.5 * (lo + hi);
    const result = at(mid);
    if (result.epsilon <= targetEpsilon) {
      hi = mid;
      hiResult = result;
    } else {
      lo = mid;
    }
  }
  return { noiseMultiplier: hi, ...hiResult };
}

/** The same function under the name the DP issue uses for the inverse. */
export const noiseMultiplierFor = computeNoiseMultiplier;

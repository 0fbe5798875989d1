/**
 * From RDP curves to (epsilon, delta)-DP. A mechanism that is (alpha, rdp(alpha))-RDP at several orders is
 * (epsilon, delta)-DP for the best of the per-order conversions:
 *  - 'classic' (Mironov 2017, "Rényi Differential Privacy", Proposition 3):
 *      epsilon = rdp + log(1/delta) / (alpha - 1);
 *  - 'improved' (Balle, Barthe, Gaboardi, Hsu and Sato 2020, "Hypothesis Testing Interpretations and Rényi
 *    Differential Privacy", Theorem 21):
 *      epsilon = rdp + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1),
 *    never larger than the classic one, hence the default.
 * A negative value means the mechanism is (0, delta)-DP, so results are clamped at 0. A curve that is 0 at every
 * order (nothing spent yet) is (0, 0)-DP, which the per-order bounds cannot express, so it is answered directly.
 */
import { FlotillaError } from '../../core/errors.js';

export type Conversion = 'classic' | 'improved';

export interface EpsilonResult {
  readonly epsilon: number;
  /** The Rényi order at which the conversion was tightest. */
  readonly order: number;
  readonly conversion: Conversion;
}

export interface DeltaResult {
  readonly delta: number;
  readonly order: number;
  readonly conversion: Conversion;
}

export function assertConversion(conversion: unknown): asserts conversion is Conversion {
  if (conversion !== 'classic' && conversion !== 'improved') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `conversion must be 'classic' or 'improved', got ${JSON.stringify(conversion)}`,
    );
  }
}

function assertCurve(orders: readonly number[], rdp: ArrayLike<number>): void {
  if (orders.length === 0 || orders.length !== rdp.length) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `need one RDP value per order, got ${rdp.length} values for ${orders.length} orders`,
    );
  }
}

function isZero(rdp: ArrayLike<number>): boolean {
  for (let k = 0; k < rdp.length; k++) if (rdp[k] !== 0) return false;
  return true;
}

/** The smallest epsilon over the orders at which the curve `rdp` gives (epsilon, delta)-DP. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
  conversion: Conversion = 'improved',
): EpsilonResult {
  assertCurve(orders, rdp);
  assertConversion(conversion);
  if (!(delta > 0 && delta < 1)) {
    throw new FlotillaError('INVALID_ARGUMENT', `delta must be in (0, 1), got ${delta}`);
  }
  if (isZero(rdp)) return { epsilon: 0, order: orders[0]!, conversion };
  const logDelta = Math.log(delta);
  let best = Infinity;
  let bestOrder = orders[0]!;
  orders.forEach((alpha, k) => {
    const value = rdp[k]!;
    const epsilon =
      conversion === 'classic'
        ? value - logDelta / (alpha - 1)
        : value + Math.log1p(-1 / alpha) - (logDelta + Math.log(alpha)) / (alpha - 1);
    if (epsilon < best) {
      best = epsilon;
      bestOrder = alpha;
    }
  });
  return { epsilon: Math.max(0, best), order: bestOrder, conversion };
}

/** The smallest delta over the orders for which the curve `rdp` gives (epsilon, delta)-DP (the inverse forms). */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  epsilon: number,
  conversion: Conversion = 'improved',
): DeltaResult {
  assertCurve(orders, rdp);
  assertConversion(conversion);
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new FlotillaError('INVALID_ARGUMENT', `epsilon must be finite and >= 0, got ${epsilon}`);
  }
  if (isZero(rdp)) return { delta: 0, order: orders[0]!, conversion };
  let bestLog = Infinity;
  let bestOrder = orders[0]!;
  orders.forEach((alpha, k) => {
    const gap = rdp[k]! - epsilon;
    const logDelta =
      conversion === 'classic'
        ? (alpha - 1) * gap
        : (alpha - 1) * (gap + Math.log1p(-1 / alpha)) - Math.log(alpha);
    if (logDelta < bestLog) {
      bestLog = logDelta;
      bestOrder = alpha;
    }
  });
  return { delta: Math.min(1, Math.exp(bestLog)), order: bestOrder, conversion };
}

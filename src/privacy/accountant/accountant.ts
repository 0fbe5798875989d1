/**
 * The privacy ledger of a run: every mechanism applied to the data is recorded as an entry, the RDP curves add up
 * per order, and the total converts to (epsilon, delta) on demand. The state that must survive a restart is just
 * the orders and the entries (curves are recomputed on restore), which `toJSON`/`fromJSON` carry.
 */
import { FlotillaError } from '../../core/errors.js';
import {
  assertConversion,
  deltaFromRdp,
  epsilonFromRdp,
  type Conversion,
  type DeltaResult,
  type EpsilonResult,
} from './conversion.js';
import { stepKey, stepRdp, validateEntry, validateOrders, type LedgerEntry } from './ledger.js';
import { DEFAULT_ORDERS } from './orders.js';

export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

export interface AccountantOptions {
  readonly orders?: readonly number[];
  /** Conversion used when a call does not name one; default 'improved'. */
  readonly conversion?: Conversion;
}

/** The durable form of an accountant. */
export interface AccountantSnapshot {
  readonly version: 1;
  readonly orders: readonly number[];
  readonly conversion: Conversion;
  readonly entries: readonly LedgerEntry[];
}

export class PrivacyAccountant {
  readonly orders: readonly number[];
  readonly conversion: Conversion;
  private readonly ledger: LedgerEntry[] = [];
  private readonly total: Float64Array;
  /** One-step curves by mechanism parameters: a run adds the same mechanism every round. */
  private readonly stepCache = new Map<string, Float64Array>();

  constructor(options: AccountantOptions = {}) {
    const orders = options.orders ?? DEFAULT_ORDERS;
    validateOrders(orders);
    this.orders = Object.freeze([...orders]);
    const conversion = options.conversion ?? 'improved';
    assertConversion(conversion);
    this.conversion = conversion;
    this.total = new Float64Array(this.orders.length);
  }

  /** The entries recorded so far, in order. */
  get entries(): readonly LedgerEntry[] {
    return this.ledger;
  }

  /** Records an entry (validated; a copy is kept). */
  add(entry: LedgerEntry): this {
    const checked = { ...validateEntry(entry) };
    const curve = this.entryRdp(checked);
    for (let k = 0; k < curve.length; k++) this.total[k] = this.total[k]! + curve[k]!;
    this.ledger.push(Object.freeze(checked));
    return this;
  }

  /** The composed RDP at each of `orders` (a copy). */
  rdp(): Float64Array {
    return this.total.slice();
  }

  getEpsilon(delta: number, conversion: Conversion = this.conversion): EpsilonResult {
    return epsilonFromRdp(this.orders, this.total, delta, conversion);
  }

  getDelta(epsilon: number, conversion: Conversion = this.conversion): DeltaResult {
    return deltaFromRdp(this.orders, this.total, epsilon, conversion);
  }

  /** The (epsilon at budget.delta) the ledger would reach if `entry` were added; the ledger is not changed. */
  epsilonAfter(entry: LedgerEntry, delta: number, conversion: Conversion = this.conversion): EpsilonResult {
    const curve = this.entryRdp(validateEntry(entry));
    const combined = this.total.map((value, k) => value + curve[k]!);
    return epsilonFromRdp(this.orders, combined, delta, conversion);
  }

  /** True when adding `entry` would take epsilon (at budget.delta) above budget.epsilon. */
  wouldExceed(entry: LedgerEntry, budget: PrivacyBudget): boolean {
    return this.epsilonAfter(entry, budget.delta).epsilon > budget.epsilon;
  }

  toJSON(): AccountantSnapshot {
    return { version: 1, orders: [...this.orders], conversion: this.conversion, entries: [...this.ledger] };
  }

  /** Restores an accountant from `toJSON()` output (e.g. read back from storage); validates everything. */
  static fromJSON(value: unknown): PrivacyAccountant {
    if (typeof value !== 'object' || value === null) {
      throw new FlotillaError('INVALID_ARGUMENT', 'privacy accountant snapshot must be an object');
    }
    const snapshot = value as Partial<Record<keyof AccountantSnapshot, unknown>>;
    if (snapshot.version !== 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `unsupported privacy accountant snapshot version ${JSON.stringify(snapshot.version)}`,
      );
    }
    if (!Array.isArray(snapshot.orders) || !snapshot.orders.every((o) => typeof o === 'number')) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'privacy accountant snapshot orders must be an array of numbers',
      );
    }
    if (!Array.isArray(snapshot.entries)) {
      throw new FlotillaError('INVALID_ARGUMENT', 'privacy accountant snapshot entries must be an array');
    }
    const accountant = new PrivacyAccountant({
      orders: snapshot.orders as number[],
      conversion: snapshot.conversion as Conversion,
    });
    for (const entry of snapshot.entries) accountant.add(entry as LedgerEntry);
    return accountant;
  }

  private entryRdp(entry: LedgerEntry): Float64Array {
    const key = stepKey(entry);
    let step = this.stepCache.get(key);
    if (!step) {
      step = stepRdp(entry, this.orders);
      this.stepCache.set(key, step);
    }
    return step.map((value) => value * entry.steps);
  }
}

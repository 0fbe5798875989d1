/**
 * Differential privacy as a stage the engine consults (DESIGN principle 6), not a separate engine. Each round a
 * PrivacyPolicy plans what the round will do and cost (`planRound`); the engine refuses to start a round whose cost
 * would take the run over its budget, lets the plan adjust the clients' FitConfigs (clip norms, local noise) and
 * wrap the strategy's aggregator (clipping, central noise), and charges the plan to the ledger only when the round
 * commits: a failed attempt released nothing, so it spends nothing. The ledger's state is saved with each committed
 * round and restored on resume, so a restart neither forgets nor double-counts spending.
 */
import { FlotillaError, type FitConfig } from '../core/index.js';
import type { PrivacyBudget } from '../privacy/index.js';
import type { RoundAggregator, RoundContext } from '../strategy/strategy.js';
import type { ClientSamplingKind } from './config.js';

/** What a committed round spent and did, kept in its RoundRecord and shown in histories and reports. */
export interface RoundPrivacy {
  /** The policy's name, e.g. 'dp-fedavg'. */
  readonly mechanism: string;
  /** Epsilon spent by the run after this round, at `delta` (for client-side modes: the worst client's). */
  readonly epsilon: number;
  readonly delta: number;
  readonly budget?: PrivacyBudget;
  /** Mechanism details (clip norm, noise standard deviation, sampling rate, unclipped fraction...). */
  readonly details: Readonly<Record<string, number | string>>;
}

/**
 * The durable state of a policy after a committed round: passed to `RoundCommitter.commitRound` so storage writes
 * it in the round's transaction, and given back to the engine (`RunOptions.privacyState`) when a run resumes.
 * Plain JSON; `state` is the policy's own (its accountant snapshot, adaptive clip norm...).
 */
export interface PrivacyCheckpoint {
  readonly mechanism: string;
  readonly round: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly state: unknown;
}

/** One round as a policy plans it. Nothing is charged until the engine calls `PrivacyPolicy.commit`. */
export interface PrivacyRoundPlan {
  readonly round: number;
  /** Epsilon the run would have spent after this round, at the policy's delta. */
  readonly epsilonAfter: number;
  /** True when a selection of zero clients still makes a valid round (a noise-only release under Poisson sampling). */
  readonly allowsEmptyRound: boolean;
  /**
   * The fit config sent to `clientId`, with the policy's fields added. `contributors` is the fewest results the
   * round can commit with (distributed noise is split so that that many shares carry the full noise).
   */
  configure(config: FitConfig, clientId: string, contributors: number): FitConfig;
  /** Wraps the strategy's aggregator for this attempt (clipping, noise); identity for client-side modes. */
  wrap(inner: RoundAggregator, context: RoundContext): RoundAggregator;
}

export interface PrivacyPolicy {
  readonly mechanism: string;
  /** The client sampling the analysis assumes; the engine refuses a config whose selection differs. */
  readonly sampling: ClientSamplingKind | undefined;
  /**
   * True when the strategy is handed one noised mean update per round (DP-FedAvg): only a strategy that declares
   * `meanUpdate` can follow it (assumptions.ts).
   */
  readonly meanOnly: boolean;
  /**
   * True when local training is DP-SGD: its clipped per-example steps carry no strategy gradient term (FedProx,
   * SCAFFOLD), so the engine refuses those strategies.
   */
  readonly exampleLevel: boolean;
  readonly delta: number;
  readonly budget: PrivacyBudget | undefined;
  /** Plans a round with `available` clients of which `expected` are to be selected (the expectation under Poisson). */
  planRound(round: number, available: number, expected: number): PrivacyRoundPlan;
  /**
   * How the policy composes with secure aggregation, on or off: a reason it cannot run so (a server cannot clip
   * updates it never sees; distributed noise is only safe when masked), and whether clients must weigh 1 each.
   */
  secureAggregation(enabled: boolean): { readonly refusal?: string; readonly unitWeights: boolean };
  /** Charges a committed round's plan; `aggregator` is what `plan.wrap` returned for the committed attempt. */
  commit(plan: PrivacyRoundPlan, aggregator: RoundAggregator): RoundPrivacy;
  /** Epsilon spent so far at `delta`. */
  spent(): number;
  checkpoint(round: number): PrivacyCheckpoint;
  /** Restores the state saved by `checkpoint` (a resumed run). */
  restore(checkpoint: PrivacyCheckpoint): void;
}

/** Why a plan may not run, or undefined when it fits the budget. */
export function budgetRefusal(policy: PrivacyPolicy, plan: PrivacyRoundPlan): string | undefined {
  const budget = policy.budget;
  if (!budget || plan.epsilonAfter <= budget.epsilon) return undefined;
  return (
    `privacy budget exhausted: round ${plan.round} would bring epsilon from ${policy.spent().toFixed(4)} to ` +
    `${plan.epsilonAfter.toFixed(4)}, above the target epsilon ${budget.epsilon} at delta ${budget.delta}`
  );
}

/** Refuses to restore a checkpoint written by another mechanism (a resumed run whose DP mode changed). */
export function assertSameMechanism(checkpoint: PrivacyCheckpoint, mechanism: string): void {
  if (checkpoint.mechanism !== mechanism) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `cannot resume a ${checkpoint.mechanism} privacy ledger under ${mechanism}`,
    );
  }
}

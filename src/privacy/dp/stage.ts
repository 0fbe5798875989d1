/**
 * The shape shared by privacy pipeline stages (DESIGN principle 6): each stage has a name, reports its settings, and
 * says what one application costs in privacy, as ledger entries the accountant can add up.
 */
import type { LedgerEntry } from '../accountant/ledger.js';

export type StageParameters = Readonly<Record<string, number | string | boolean>>;

export interface PrivacyCost {
  /**
   * Whose ledger pays: 'central' is the federation's accountant (one charge per round); 'local' is each client's
   * own ledger (one charge per round the client takes part in).
   */
  readonly scope: 'central' | 'local';
  /** The cost of one application (one round). */
  readonly entries: readonly LedgerEntry[];
  /** What the cost assumes, for people reading run records. */
  readonly description: string;
}

export interface PrivacyStage {
  readonly name: string;
  parameters(): StageParameters;
  /** The cost of one application, or null for stages that spend no privacy by themselves (clipping). */
  privacyCost(): PrivacyCost | null;
}

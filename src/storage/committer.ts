/**
 * The engine's RoundCommitter, backed by Storage. Storage may not import the engine (DESIGN layering), so this class
 * only has the same method shape: `commitRound(record, params, strategyState)`, which the engine's interface accepts
 * structurally. The privacy ledger is not part of that call; a run that tracks privacy passes a function that
 * snapshots its accountant, and the snapshot is committed in the same transaction as the round.
 */
import type { ParameterSet } from '../core/index.js';
import type { Storage, StoredStrategyState } from './storage.js';

export interface StorageCommitterOptions {
  /** Called once per commit, after the round's spending was recorded: e.g. `() => accountant.toJSON()`. */
  readonly privacyLedger?: () => unknown;
}

export class StorageCommitter {
  readonly runId: string;
  private readonly storage: Storage;
  private readonly privacyLedger: (() => unknown) | undefined;

  constructor(storage: Storage, runId: string, options: StorageCommitterOptions = {}) {
    this.storage = storage;
    this.runId = runId;
    this.privacyLedger = options.privacyLedger;
  }

  async commitRound(
    record: { readonly round: number },
    params: ParameterSet,
    strategyState: StoredStrategyState,
  ): Promise<void> {
    await this.storage.commitRound(this.runId, {
      record,
      params,
      strategyState,
      ...(this.privacyLedger && { privacyLedger: this.privacyLedger() }),
    });
  }
}

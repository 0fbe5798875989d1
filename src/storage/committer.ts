/**
 * The engine's RoundCommitter, backed by Storage. Storage may not import the engine (DESIGN layering), so this class
 * only has the same method shape: `commitRound(record, params, strategyState)`, which the engine's interface accepts
 * structurally. A run with differential privacy passes its privacy checkpoint (the ledger of what it has spent) as
 * the fourth argument; it is committed in the same transaction as the round, so a restart neither forgets nor
 * double-counts spending.
 */
import type { ParameterSet } from '../core/index.js';
import type { Storage, StoredStrategyState } from './storage.js';

export class StorageCommitter {
  readonly runId: string;
  private readonly storage: Storage;

  constructor(storage: Storage, runId: string) {
    this.storage = storage;
    this.runId = runId;
  }

  async commitRound(
    record: { readonly round: number },
    params: ParameterSet,
    strategyState: StoredStrategyState,
    privacy?: unknown,
  ): Promise<void> {
    await this.storage.commitRound(this.runId, {
      record,
      params,
      strategyState,
      ...(privacy !== undefined && { privacyLedger: privacy }),
    });
  }
}

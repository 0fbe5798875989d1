/**
 * A browser client's own privacy ledger in IndexedDB, the web twin of client/node/ledger-file.ts: a page reloaded
 * mid-run continues its accounting instead of starting from zero.
 */
import type { PrivacyLedgerStore } from '../privacy.js';
import type { IdbStore } from './idb.js';

const KEY = 'privacy-ledger';

export class IndexedDbPrivacyLedger implements PrivacyLedgerStore {
  constructor(private readonly store: IdbStore) {}

  /** Undefined when this browser has no ledger yet; a failing IndexedDB rejects (forgetting is never safe). */
  async load(): Promise<unknown> {
    const text = await this.store.get(KEY);
    return typeof text === 'string' ? (JSON.parse(text) as unknown) : undefined;
  }

  async save(snapshot: unknown): Promise<void> {
    await this.store.set(KEY, JSON.stringify(snapshot));
  }
}

/**
 * The browser's copy of the latest global model (IndexedDB), the web twin of client/node/model-cache.ts: a page
 * reloaded or reopened mid-run shows and starts from it. One IndexedDB transaction writes the model and its round
 * together, so a tab closed mid-write leaves the previous pair, never a torn one.
 */
import type { ParameterSet } from '../../core/index.js';
import { decodeParameters, encodeParameters } from '../../protocol/index.js';
import type { IdbStore } from './idb.js';

export interface CachedModel {
  readonly round: number;
  readonly params: ParameterSet;
}

const KEY = 'global-model';

export class IndexedDbModelCache {
  constructor(private readonly store: IdbStore) {}

  async save(params: ParameterSet, round: number): Promise<void> {
    await this.store.set(KEY, { round, bytes: encodeParameters(params) });
  }

  /** The cached model, or undefined when there is none (or it cannot be read: it is only a cache). */
  async load(): Promise<CachedModel | undefined> {
    try {
      const value = (await this.store.get(KEY)) as { round?: unknown; bytes?: unknown } | undefined;
      if (!value || typeof value.round !== 'number' || !(value.bytes instanceof Uint8Array)) return undefined;
      return { round: value.round, params: decodeParameters(value.bytes) };
    } catch {
      return undefined;
    }
  }
}

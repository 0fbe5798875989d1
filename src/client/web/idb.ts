/**
 * A tiny key-value store over IndexedDB, the one persistent store a browser page and its Web Worker share. One
 * database per cache name, one object store; every call opens, does one transaction and closes, so two tabs (or a
 * page and its worker) never hold a connection that blocks the other's upgrade or deletion.
 */
import { FlotillaError } from '../../core/index.js';

const STORE = 'kv';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function open(name: string): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') {
    return Promise.reject(new FlotillaError('INVALID_ARGUMENT', 'this platform has no IndexedDB'));
  }
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

/** The values of one IndexedDB database, by string key (structured-cloneable values: ArrayBuffers, plain objects). */
export class IdbStore {
  constructor(readonly name: string) {}

  private async run<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await open(this.name);
    try {
      const tx = db.transaction(STORE, mode);
      // A write is durable only once its transaction completes, not when its request succeeds.
      const committed = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      });
      const result = await request(op(tx.objectStore(STORE)));
      await committed;
      return result;
    } finally {
      db.close();
    }
  }

  get(key: string): Promise<unknown> {
    return this.run('readonly', (s) => s.get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.run('readwrite', (s) => s.put(value, key));
  }

  async delete(key: string): Promise<void> {
    await this.run('readwrite', (s) => s.delete(key));
  }

  /** Deletes the whole database (the participant's "Leave"). */
  async destroy(): Promise<void> {
    await request(indexedDB.deleteDatabase(this.name));
  }
}

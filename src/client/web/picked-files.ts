/**
 * The files a participant picked, kept in this browser's IndexedDB (never sent anywhere) so a reloaded page can
 * rejoin the run without asking for them again. "Leave" deletes them with the model cache and the ledger.
 */
import type { IdbStore } from './idb.js';

/** One picked file: its name (for the page) and its bytes. */
export interface PickedFile {
  readonly name: string;
  readonly bytes: ArrayBuffer;
}

const KEY = 'picked-files';

export class PickedFileStore {
  constructor(private readonly store: IdbStore) {}

  async save(files: readonly PickedFile[]): Promise<void> {
    await this.store.set(
      KEY,
      files.map((f) => ({ name: f.name, bytes: f.bytes })),
    );
  }

  /** The saved files, or undefined when none were saved (or what is there is not a list of files). */
  async load(): Promise<PickedFile[] | undefined> {
    const value = await this.store.get(KEY);
    if (!Array.isArray(value)) return undefined;
    const files = value.filter(
      (f): f is PickedFile =>
        typeof (f as PickedFile)?.name === 'string' && (f as PickedFile).bytes instanceof ArrayBuffer,
    );
    return files.length === value.length && files.length > 0 ? files : undefined;
  }
}

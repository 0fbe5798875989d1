/**
 * A client's privacy ledger in a file (owner-only, written atomically: a temporary file, then a rename), so that a
 * client process restarted after a crash continues its own accounting instead of starting from zero.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import type { PrivacyLedgerStore } from '../privacy.js';

export class FilePrivacyLedger implements PrivacyLedgerStore {
  constructor(readonly path: string) {}

  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `the privacy ledger ${this.path} is not valid JSON; this client cannot know what it has spent (restore the file, or delete it only if this client never released a DP update)`,
      );
    }
  }

  async save(snapshot: unknown): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    await rename(tmp, this.path);
  }
}

/**
 * The client's on-disk copy of the latest global model it received, so that it can start from it (e.g. evaluate or
 * serve predictions) while the server is unreachable. Written atomically (temporary file, then rename): a crash
 * mid-write leaves the previous model, never a torn one.
 */
import { readFile, rename, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ParameterSet } from '../../core/index.js';
import { decodeParameters, encodeParameters } from '../../protocol/index.js';

export interface CachedModel {
  readonly round: number;
  readonly params: ParameterSet;
}

export class FileModelCache {
  constructor(private readonly path: string) {}

  async save(params: ParameterSet, round: number): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, encodeParameters(params));
    await rename(tmp, this.path);
    await writeFile(`${this.path}.json`, JSON.stringify({ round }));
  }

  /** The cached model, or undefined when there is none (or it cannot be read: it is only a cache). */
  async load(): Promise<CachedModel | undefined> {
    try {
      const params = decodeParameters(new Uint8Array(await readFile(this.path)));
      const meta = JSON.parse(await readFile(`${this.path}.json`, 'utf8')) as { round?: unknown };
      return { params, round: typeof meta.round === 'number' ? meta.round : 0 };
    } catch {
      return undefined;
    }
  }
}

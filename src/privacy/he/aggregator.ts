/**
 * Server side: sums encrypted updates. Built from the public encryption parameters only; adding CKKS ciphertexts
 * needs no key of any kind, and this module never touches SecretKey, KeyGenerator, Decryptor or Encryptor (the tests
 * hand it a SEAL instance that throws if it does).
 *
 * Each add() validates the whole blob before changing anything (header, d, count, lengths and CRCs, the canonical
 * layout of every ciphertext, then SEAL's own load-time check against the context), and computes the new sums into
 * fresh ciphertexts that replace the old ones only when all succeeded: a refused blob leaves the aggregator exactly
 * as it was. Memory: the aggregator holds one ciphertext per slot block (about 393 KB each at N = 8192), whatever
 * the number of clients; every temporary SEAL object is freed as soon as it is used, and delete() frees the rest.
 */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import { FlotillaError } from '../../core/index.js';
import { encodeBlob } from './blob.js';
import { loadContext, type HeContext, type SealLibrary } from './context.js';
import { loadBlob } from './load.js';
import { loadSeal } from './seal.js';

export interface HeAggregatorOptions {
  /** The encryption parameters (saveEncryptionParameters); public. */
  readonly parameters: Uint8Array;
  /** d: coordinates of every update. */
  readonly dimension: number;
  /** A node-seal instance; default loadSeal(). */
  readonly seal?: SealLibrary;
}

export class HeAggregator {
  readonly dimension: number;
  private readonly ctx: HeContext;
  private readonly evaluator: Evaluator;
  private sums: CipherText[] | undefined;
  private added = 0;
  private deleted = false;

  /** Loads node-seal unless one is given, then builds the aggregator. */
  static async create(options: HeAggregatorOptions): Promise<HeAggregator> {
    return new HeAggregator(options.seal ?? (await loadSeal()), options.parameters, options.dimension);
  }

  constructor(seal: SealLibrary, parameters: Uint8Array, dimension: number) {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > 0xffffffff) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `HeAggregator: dimension must be a positive integer, got ${dimension}`,
      );
    }
    this.dimension = dimension;
    this.ctx = loadContext(seal, parameters);
    this.evaluator = seal.Evaluator(this.ctx.context);
  }

  /** Updates summed so far. */
  get count(): number {
    return this.added;
  }

  /** Validates blob completely and adds it; a refused blob throws MESSAGE_INVALID and changes nothing. */
  add(blob: Uint8Array): void {
    this.checkAlive();
    const loaded = loadBlob(this.ctx, blob, this.dimension);
    if (this.sums === undefined) {
      this.sums = loaded;
    } else {
      const next: CipherText[] = [];
      try {
        this.sums.forEach((sum, i) => next.push(this.evaluator.add(sum, loaded[i]!) as CipherText));
      } catch (e) {
        next.forEach((ct) => ct.delete());
        throw new FlotillaError(
          'MESSAGE_INVALID',
          `HE blob: adding it failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      } finally {
        loaded.forEach((ct) => ct.delete());
      }
      this.sums.forEach((ct) => ct.delete());
      this.sums = next;
    }
    this.added++;
  }

  /** The encrypted sum of every update added, as a blob for the clients to decrypt. */
  result(): Uint8Array {
    this.checkAlive();
    if (this.sums === undefined) {
      throw new FlotillaError('INVALID_ARGUMENT', 'HeAggregator: no update has been added');
    }
    const none = this.ctx.seal.ComprModeType.none;
    return encodeBlob(
      this.dimension,
      this.sums.map((ct) => ct.saveArray(none)),
    );
  }

  /** Drops the sums (for the next round); the context stays. */
  reset(): void {
    this.sums?.forEach((ct) => ct.delete());
    this.sums = undefined;
    this.added = 0;
  }

  /** Frees every SEAL object; the aggregator is unusable afterwards. */
  delete(): void {
    if (this.deleted) return;
    this.reset();
    this.evaluator.delete();
    this.ctx.delete();
    this.deleted = true;
  }

  private checkAlive(): void {
    if (this.deleted) throw new FlotillaError('INVALID_ARGUMENT', 'HeAggregator: used after delete()');
  }
}

/**
 * The client's half of a homomorphic (CKKS) round: encrypting its weighted update under the key the clients share,
 * and decrypting the encrypted sum when the server asks it to. The key must be for the round's parameters: a client
 * refuses a task whose parameters differ from its key file's, since its ciphertexts would not add up.
 */
import {
  FlotillaError,
  bytesEqual,
  fromBase64,
  type HomomorphicTask,
  type ParameterSet,
} from '../core/index.js';
// The narrow modules, not the he barrel: they take the SEAL instance from the keys, so node-seal itself stays out of
// the client's module graph (the caller that loaded the keys already loaded it).
import { decryptAggregate, encryptUpdate } from '../privacy/he/client.js';
import type { HeKeys } from '../privacy/he/keys.js';

export class HomomorphicClient {
  constructor(private readonly keys: HeKeys) {}

  /** The ciphertexts of weight x update, the weight being 1 or the example count as the task says. */
  encrypt(task: HomomorphicTask, update: ParameterSet, numExamples: number): Uint8Array {
    if (!bytesEqual(fromBase64(task.parameters), this.keys.ctx.encoded)) {
      throw new FlotillaError(
        'SECAGG_REFUSED',
        "the round's CKKS parameters differ from this client's key file: it holds a key for other parameters",
      );
    }
    return encryptUpdate(this.keys, update.data, task.unitWeights ? 1 : numExamples);
  }

  /** Decrypts the server's encrypted sum of `dimension` values into little-endian float64 bytes. */
  decrypt(payload: Uint8Array, dimension: number): Uint8Array {
    const sum = decryptAggregate(this.keys, payload, dimension);
    const out = new Uint8Array(8 * dimension);
    const view = new DataView(out.buffer);
    for (let i = 0; i < dimension; i++) view.setFloat64(8 * i, sum[i]!, true);
    return out;
  }
}

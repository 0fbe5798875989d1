/**
 * Loading a blob's ciphertexts into SEAL, shared by the server (updates) and the clients (the sum). Every check that
 * can be done on bytes is done first (blob.ts, ciphertext.ts), so SEAL only ever parses canonical input.
 */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import { FlotillaError } from '../../core/index.js';
import { decodeBlob } from './blob.js';
import { checkCiphertextLayout, ciphertextSizes } from './ciphertext.js';
import { describe, type HeContext } from './context.js';

/**
 * Parses and fully validates a blob, then loads its ciphertexts. All or nothing: on any error every loaded
 * ciphertext is freed and a MESSAGE_INVALID error names the blob field or the ciphertext at fault.
 */
export function loadBlob(ctx: HeContext, blob: Uint8Array, d: number): CipherText[] {
  const layout = decodeBlob(blob, {
    slots: ctx.slots,
    maxCiphertextBytes: ciphertextSizes(ctx.shape).full,
    expectedD: d,
  });
  layout.ciphertexts.forEach((bytes, i) => checkCiphertextLayout(bytes, ctx.shape, `ciphertext ${i}`));
  const loaded: CipherText[] = [];
  try {
    layout.ciphertexts.forEach((bytes, i) => {
      const ct = ctx.seal.CipherText();
      loaded.push(ct);
      try {
        ct.loadArray(ctx.context, bytes);
      } catch (e) {
        throw new FlotillaError(
          'MESSAGE_INVALID',
          `HE blob: ciphertext ${i} is not valid for the parameters: ${describe(e)}`,
        );
      }
      if (ct.size !== 2)
        throw new FlotillaError('MESSAGE_INVALID', `HE blob: ciphertext ${i} has ${ct.size} polynomials`);
      if (ct.isTransparent) {
        throw new FlotillaError(
          'MESSAGE_INVALID',
          `HE blob: ciphertext ${i} is transparent (it hides nothing)`,
        );
      }
    });
  } catch (e) {
    loaded.forEach((ct) => ct.delete());
    throw e;
  }
  return loaded;
}

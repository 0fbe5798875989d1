/**
 * Client side: encrypt a weighted update into one blob, and decrypt the server's summed blob. The weight is applied
 * before encryption (the server can only add), so the decrypted aggregate is the weighted sum; dividing by the total
 * weight, which the server knows in the clear, gives the weighted mean.
 *
 * Precision: CKKS is approximate. At scale 2^40 a fresh encryption carries an absolute error around 1e-9 per
 * coordinate and a sum of n of them around sqrt(n) times that; values are computed in float64 from the float32
 * inputs. Range: a coordinate of the sum must stay below 2^(dataBits - scaleBits - 1) in magnitude (2^99 at the
 * defaults, where dataBits is the sum of all primes but the last); beyond that it wraps and decrypts to garbage.
 */
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import { FlotillaError } from '../../core/index.js';
import { encodeBlob } from './blob.js';
import { describe } from './context.js';
import type { HeKeys } from './keys.js';
import { loadBlob } from './load.js';
import { ciphertextCount, type CkksParams } from './params.js';

/** Largest d a blob can describe (its header field is 32 bits). */
const MAX_D = 0xffffffff;

/**
 * Encrypts weight * values as ceil(d / slots) seeded symmetric ciphertexts in one blob (format in blob.ts).
 * values must be finite (NON_FINITE otherwise); weight finite and >= 0 (INVALID_ARGUMENT otherwise).
 */
export function encryptUpdate(keys: HeKeys, values: Float32Array | Float64Array, weight: number): Uint8Array {
  if (!(values instanceof Float32Array || values instanceof Float64Array) || values.length === 0) {
    throw new FlotillaError('INVALID_ARGUMENT', 'encryptUpdate: values must be a non-empty Float32Array');
  }
  if (values.length > MAX_D) {
    throw new FlotillaError('INVALID_ARGUMENT', `encryptUpdate: ${values.length} values exceed ${MAX_D}`);
  }
  if (!Number.isFinite(weight) || weight < 0) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `encryptUpdate: weight must be finite and >= 0, got ${weight}`,
    );
  }
  const { seal, slots, scale, params } = keys.ctx;
  const d = values.length;
  // Checked here, not left to SEAL: an infinite product traps inside the WASM module instead of throwing.
  const limit = valueLimit(params);
  const chunk = new Float64Array(slots);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ciphertextCount(d, params); i++) {
    const start = i * slots;
    const end = Math.min(d, start + slots);
    chunk.fill(0);
    for (let j = start; j < end; j++) {
      const v = values[j]!;
      if (!Number.isFinite(v)) {
        throw new FlotillaError('NON_FINITE', `encryptUpdate: value ${j} is ${v}`);
      }
      const x = v * weight;
      if (!(Math.abs(x) < limit)) {
        throw new FlotillaError(
          'INVALID_ARGUMENT',
          `encryptUpdate: value ${j} times the weight is ${x}, outside the CKKS range (magnitude < ${limit})`,
        );
      }
      chunk[j - start] = x;
    }
    let plain: PlainText;
    try {
      plain = keys.encoder.encode(chunk, scale) as PlainText;
    } catch (e) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `encryptUpdate: values do not encode at this scale: ${describe(e)}`,
      );
    }
    try {
      const serializable = keys.encryptor.encryptSymmetricSerializable(plain);
      try {
        parts.push(serializable.saveArray(seal.ComprModeType.none));
      } finally {
        serializable.delete();
      }
    } finally {
      plain.delete();
    }
  }
  return encodeBlob(d, parts);
}

/**
 * The magnitude a coordinate (of one update or of the sum) must stay below: 2^(dataBits - scaleBits - 1), where
 * dataBits is the sum of every prime but the special one (2^99 at the defaults).
 */
export function valueLimit(params: CkksParams): number {
  const bits = params.coeffModulusBits;
  const dataBits = bits.slice(0, -1).reduce((a, b) => a + b, 0);
  return 2 ** (dataBits - params.scaleBits - 1);
}

/**
 * Decrypts a blob (normally the server's sum) of d coordinates; the result is the weighted sum in float64. The blob
 * is checked like the server checks updates (MESSAGE_INVALID naming what is wrong).
 */
export function decryptAggregate(keys: HeKeys, blob: Uint8Array, d: number): Float64Array {
  if (!Number.isInteger(d) || d < 1 || d > MAX_D) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `decryptAggregate: d must be an integer in [1, ${MAX_D}], got ${d}`,
    );
  }
  const { slots } = keys.ctx;
  const cts = loadBlob(keys.ctx, blob, d);
  const out = new Float64Array(d);
  try {
    cts.forEach((ct, i) => {
      const plain = keys.decryptor.decrypt(ct) as PlainText;
      try {
        const decoded = keys.encoder.decode(plain);
        const start = i * slots;
        out.set(decoded.subarray(0, Math.min(slots, d - start)), start);
      } finally {
        plain.delete();
      }
    });
  } finally {
    cts.forEach((ct) => ct.delete());
  }
  return out;
}

/**
 * SEAL CKKS contexts. Every function here takes the node-seal instance as an argument (seal.ts loads it), so this
 * module and the client code built on it never pull node-seal into a bundle: a caller can wrap the instance (the
 * aggregator's tests hand in a Proxy that refuses all secret-key machinery) or load a different build.
 *
 * The encryption parameters (scheme, N, coefficient moduli, plus our scale) are what the server gets. They are
 * public: they hold no key of any kind. Encoding ("FLHP" envelope, little-endian):
 *
 *   offset  size  field
 *   0       4     magic "FLHP"
 *   4       1     version (1)
 *   5       1     scaleBits
 *   6       2     reserved, zero
 *   8       ...   SEAL EncryptionParameters.saveArray() (SEAL's own header, uncompressed)
 */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { FlotillaError } from '../../core/index.js';
import { parmsIdBytes, type CiphertextShape } from './ciphertext.js';
import { resolveCkksParams, slotCount, type CkksParams } from './params.js';

export type SealLibrary = SEALLibrary;
export type { CipherText, Context };

/** A SEAL CKKS context and what is derived from the parameters. Holds no key. */
export interface HeContext {
  readonly seal: SealLibrary;
  readonly params: CkksParams;
  readonly context: Context;
  /** 2^scaleBits. */
  readonly scale: number;
  /** N / 2. */
  readonly slots: number;
  /** What a canonical ciphertext at the data level looks like (see ciphertext.ts). */
  readonly shape: CiphertextShape;
  /** The public parameter encoding this context was built from (the "FLHP" envelope). */
  readonly encoded: Uint8Array;
  /** Frees the SEAL context; the object is unusable afterwards. */
  delete(): void;
}

const MAGIC = [0x46, 0x4c, 0x48, 0x50]; // "FLHP"
const VERSION = 1;
const HEADER = 8;
/** Generous bound on a SEAL EncryptionParameters encoding (about 150 bytes at the defaults). */
const MAX_SEAL_PARMS_BYTES = 4096;

/** Builds a CKKS context, refusing parameters SEAL does not accept at the 128-bit security level. */
export function createContext(seal: SealLibrary, params: Partial<CkksParams> = {}): HeContext {
  const resolved = resolveCkksParams(params);
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  try {
    parms.setPolyModulusDegree(resolved.polyModulusDegree);
    const moduli = seal.CoeffModulus.Create(
      resolved.polyModulusDegree,
      Int32Array.from(resolved.coeffModulusBits),
    );
    parms.setCoeffModulus(moduli);
    moduli.delete();
    const sealBytes = parms.saveArray(seal.ComprModeType.none);
    const encoded = new Uint8Array(HEADER + sealBytes.length);
    encoded.set(MAGIC, 0);
    encoded[4] = VERSION;
    encoded[5] = resolved.scaleBits;
    encoded.set(sealBytes, HEADER);
    return build(seal, parms, resolved, encoded);
  } finally {
    parms.delete();
  }
}

/** The public encryption parameters (what the server gets): a copy of the context's "FLHP" encoding. */
export function saveEncryptionParameters(ctx: HeContext): Uint8Array {
  return ctx.encoded.slice();
}

/**
 * Builds a context from an "FLHP" encoding, checking that it is CKKS, that SEAL accepts it at the 128-bit security
 * level, and that the parameters pass the same validation as freshly chosen ones. Errors are CONFIG_INVALID.
 */
export function loadContext(seal: SealLibrary, encoded: Uint8Array): HeContext {
  if (!(encoded instanceof Uint8Array) || encoded.length <= HEADER) {
    throw new FlotillaError('CONFIG_INVALID', 'HE encryption parameters: encoding is missing or too short');
  }
  if (MAGIC.some((b, i) => encoded[i] !== b)) {
    throw new FlotillaError('CONFIG_INVALID', 'HE encryption parameters: wrong magic (expected "FLHP")');
  }
  if (encoded[4] !== VERSION) {
    throw new FlotillaError('CONFIG_INVALID', `HE encryption parameters: unsupported version ${encoded[4]}`);
  }
  if (encoded[6] !== 0 || encoded[7] !== 0) {
    throw new FlotillaError('CONFIG_INVALID', 'HE encryption parameters: reserved bytes are not zero');
  }
  if (encoded.length - HEADER > MAX_SEAL_PARMS_BYTES) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `HE encryption parameters: ${encoded.length} bytes is too large`,
    );
  }
  const sealBytes = encoded.slice(HEADER);
  if (!sealHeaderMatches(sealBytes)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'HE encryption parameters: not an uncompressed SEAL object of that size',
    );
  }
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  try {
    try {
      parms.loadArray(sealBytes);
    } catch (e) {
      throw new FlotillaError('CONFIG_INVALID', `HE encryption parameters do not decode: ${describe(e)}`);
    }
    if (parms.scheme !== seal.SchemeType.ckks) {
      throw new FlotillaError('CONFIG_INVALID', 'HE encryption parameters are not for the CKKS scheme');
    }
    const bits = Array.from(parms.coeffModulus, bitLength);
    const resolved = resolveCkksParams({
      polyModulusDegree: parms.polyModulusDegree,
      coeffModulusBits: bits,
      scaleBits: encoded[5]!,
    });
    return build(seal, parms, resolved, encoded.slice());
  } finally {
    parms.delete();
  }
}

function build(
  seal: SealLibrary,
  parms: ReturnType<SealLibrary['EncryptionParameters']>,
  params: CkksParams,
  encoded: Uint8Array,
): HeContext {
  let context: Context;
  try {
    context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  } catch (e) {
    throw new FlotillaError('CONFIG_INVALID', `SEAL refused the CKKS parameters: ${describe(e)}`);
  }
  if (!context.parametersSet()) {
    const reason = context.toHuman();
    context.delete();
    throw new FlotillaError(
      'CONFIG_INVALID',
      `SEAL refused the CKKS parameters at the 128-bit security level: ${reason.trim()}`,
    );
  }
  const first = context.firstParmsId;
  const shape: CiphertextShape = {
    parmsId: parmsIdBytes(first.values),
    n: params.polyModulusDegree,
    k: params.coeffModulusBits.length - 1,
    scale: 2 ** params.scaleBits,
    sealMajor: encoded[HEADER + 3]!,
    sealMinor: encoded[HEADER + 4]!,
  };
  first.delete();
  return {
    seal,
    params,
    context,
    shape,
    scale: 2 ** params.scaleBits,
    slots: slotCount(params),
    encoded,
    delete: () => context.delete(),
  };
}

/**
 * True when bytes start with an uncompressed SEAL header whose declared size is exactly their length. Checked before
 * SEAL parses anything: in WASM, SEAL aborts (rather than throws) when a declared size overruns the buffer.
 */
export function sealHeaderMatches(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (
    view.getUint16(0, true) === 0xa15e &&
    bytes[2] === 16 &&
    bytes[5] === 0 &&
    view.getUint32(12, true) === 0 &&
    view.getUint32(8, true) === bytes.length
  );
}

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/** SEAL errors arrive as Error, string or a WASM exception pointer; keep whatever text there is. */
export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** True when two SEAL parms ids (four 64-bit words) are equal. */
export function sameParmsId(a: BigUint64Array, b: BigUint64Array): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}

/**
 * A strict check of one serialised SEAL ciphertext, done in JavaScript before SEAL sees the bytes. It exists because
 * SEAL compiled to WASM does not fail safely on hostile input: a size field larger than the buffer, or a corrupt
 * compressed stream, aborts the WASM module ("RuntimeError: Aborted()"), and after a few aborts the module's memory
 * is corrupted and the next call crashes the process. So the server accepts exactly one canonical layout (SEAL 4.x,
 * uncompressed, our parameters) and checks every header and size field; what is left for SEAL's own load-time check
 * is the coefficient data (each value below its prime) and the 64-byte seed, neither of which can abort it.
 *
 * Layout (little-endian, offsets from the ciphertext's start; u64 fields must fit 32 bits):
 *
 *   0    16  SEALHeader: magic A15E, header size 16, SEAL version major.minor, compression 0 (none), 2 zero bytes,
 *            u64 total size (must equal the byte count)
 *   16   32  parms_id: must be the context's data level (every prime but the special one)
 *   48    1  NTT form: 1 (CKKS ciphertexts are always in NTT form)
 *   49    8  polynomials: 2 (a fresh or summed ciphertext; 3 would be an unrelinearised product)
 *   57    8  N
 *   65    8  K: primes at the data level
 *   73    8  scale (float64): must be 2^scaleBits
 *   81    8  correction factor: 1
 *   89   16  SEALHeader of the coefficient array, its size 24 + 8 * count
 *   105   8  count: N * K (seeded: only the first polynomial is stored) or 2 * N * K (full)
 *   113  8c  coefficients
 *   seeded only, 81 more bytes: SEALHeader (size 81), PRNG type (1 = BLAKE2xb, 2 = SHAKE256), 64-byte seed
 */
import { FlotillaError } from '../../core/index.js';

const SEAL_MAGIC = 0xa15e;
const SEAL_HEADER = 16;
const FIXED = 113;
const SEED_TAIL = 81;

export interface CiphertextShape {
  /** The data level's parms_id as 32 bytes (four little-endian 64-bit words). */
  readonly parmsId: Uint8Array;
  readonly n: number;
  readonly k: number;
  readonly scale: number;
  readonly sealMajor: number;
  readonly sealMinor: number;
}

/** Exact byte sizes of the two accepted encodings. */
export function ciphertextSizes(shape: Pick<CiphertextShape, 'n' | 'k'>): { seeded: number; full: number } {
  return { seeded: FIXED + 8 * shape.n * shape.k + SEED_TAIL, full: FIXED + 16 * shape.n * shape.k };
}

/** Throws MESSAGE_INVALID naming the first field that is not canonical; `what` says which ciphertext it is. */
export function checkCiphertextLayout(bytes: Uint8Array, shape: CiphertextShape, what: string): void {
  const fail = (message: string): never => {
    throw new FlotillaError('MESSAGE_INVALID', `HE blob: ${what}: ${message}`);
  };
  const sizes = ciphertextSizes(shape);
  const seeded = bytes.length === sizes.seeded;
  if (!seeded && bytes.length !== sizes.full) {
    fail(
      `${bytes.length} bytes; a ciphertext under these parameters has ${sizes.seeded} (seeded) or ${sizes.full}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (offset: number): number => {
    const high = view.getUint32(offset + 4, true);
    return high === 0 ? view.getUint32(offset, true) : Number.MAX_SAFE_INTEGER;
  };
  const header = (offset: number, size: number, name: string): void => {
    if (view.getUint16(offset, true) !== SEAL_MAGIC) fail(`${name}: not a SEAL header`);
    if (bytes[offset + 2] !== SEAL_HEADER) fail(`${name}: header size ${bytes[offset + 2]}`);
    if (bytes[offset + 3] !== shape.sealMajor || bytes[offset + 4] !== shape.sealMinor) {
      fail(
        `${name}: SEAL version ${bytes[offset + 3]}.${bytes[offset + 4]}, expected ${shape.sealMajor}.${shape.sealMinor}`,
      );
    }
    if (bytes[offset + 5] !== 0)
      fail(`${name}: compressed (mode ${bytes[offset + 5]}); only uncompressed is accepted`);
    if (bytes[offset + 6] !== 0 || bytes[offset + 7] !== 0) fail(`${name}: reserved bytes are not zero`);
    if (u64(offset + 8) !== size) fail(`${name}: declares ${u64(offset + 8)} bytes, expected ${size}`);
  };
  header(0, bytes.length, 'ciphertext header');
  for (let i = 0; i < 32; i++) {
    if (bytes[16 + i] !== shape.parmsId[i]) fail('parms_id is not these parameters’ data level');
  }
  if (bytes[48] !== 1) fail('not in NTT form');
  if (u64(49) !== 2) fail(`${u64(49)} polynomials, expected 2`);
  if (u64(57) !== shape.n) fail(`N is ${u64(57)}, expected ${shape.n}`);
  if (u64(65) !== shape.k) fail(`${u64(65)} primes, expected ${shape.k}`);
  if (view.getFloat64(73, true) !== shape.scale)
    fail(`scale ${view.getFloat64(73, true)}, expected ${shape.scale}`);
  if (u64(81) !== 1) fail(`correction factor ${u64(81)}, expected 1`);
  const count = (seeded ? 1 : 2) * shape.n * shape.k;
  header(89, 24 + 8 * count, 'coefficient array header');
  if (u64(105) !== count) fail(`${u64(105)} coefficients, expected ${count}`);
  if (seeded) {
    const tail = FIXED + 8 * count;
    header(tail, SEED_TAIL, 'seed header');
    const prng = bytes[tail + SEAL_HEADER];
    if (prng !== 1 && prng !== 2) fail(`unknown PRNG type ${prng}`);
  }
}

/** A parms_id (four 64-bit words) as the 32 little-endian bytes SEAL writes. */
export function parmsIdBytes(words: BigUint64Array): Uint8Array {
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(8 * i, w, true));
  return out;
}

/**
 * The encrypted-update blob: one client's update (or the server's sum) as ceil(d / slots) serialised SEAL
 * ciphertexts behind a small fixed header. Little-endian:
 *
 *   offset        size       field
 *   0             4          magic "FLHE"
 *   4             1          version (1)
 *   5             3          reserved, zero
 *   8             4          d: coordinates of the update (uint32, >= 1)
 *   12            4          count: ciphertexts, must equal ceil(d / slots)
 *   16            8 * count  per ciphertext: byte length (uint32), CRC-32 of those bytes (uint32)
 *   16 + 8count   ...        the ciphertexts, concatenated in order; the blob ends exactly after the last one
 *
 * Ciphertext i carries coordinates [i * slots, min(d, (i + 1) * slots)); unused slots encode zero. A client's
 * ciphertexts are SEAL's seeded symmetric encodings (the second polynomial is replaced by a 64-byte seed, which
 * halves the size); the server's sums are ordinary ciphertexts. Both load the same way.
 *
 * The CRC catches corruption in transit and bytes flipped by accident, which CKKS would otherwise decrypt to
 * silently wrong numbers (a ciphertext has no integrity of its own: most byte flips still load). It is not
 * authentication: whoever can rewrite a blob can recompute the CRC. Authenticity comes from the transport (TLS and
 * client credentials); CKKS ciphertexts stay malleable to anyone on the path.
 */
import { FlotillaError } from '../../core/index.js';

const MAGIC = [0x46, 0x4c, 0x48, 0x45]; // "FLHE"
export const BLOB_VERSION = 1;
const FIXED_HEADER = 16;
const ENTRY = 8;

export interface BlobLayout {
  readonly d: number;
  /** The ciphertexts' bytes, views into the blob (not copies). */
  readonly ciphertexts: readonly Uint8Array[];
}

export interface BlobLimits {
  /** Values per ciphertext (N / 2). */
  readonly slots: number;
  /** The largest serialised ciphertext accepted, in bytes. */
  readonly maxCiphertextBytes: number;
  /** If given, d must equal it. */
  readonly expectedD?: number;
}

function bad(message: string): FlotillaError {
  return new FlotillaError('MESSAGE_INVALID', `HE blob: ${message}`);
}

/** Assembles a blob from serialised ciphertexts. */
export function encodeBlob(d: number, ciphertexts: readonly Uint8Array[]): Uint8Array {
  const headerBytes = FIXED_HEADER + ENTRY * ciphertexts.length;
  const total = ciphertexts.reduce((n, c) => n + c.length, headerBytes);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = BLOB_VERSION;
  view.setUint32(8, d, true);
  view.setUint32(12, ciphertexts.length, true);
  let offset = headerBytes;
  ciphertexts.forEach((c, i) => {
    view.setUint32(FIXED_HEADER + ENTRY * i, c.length, true);
    view.setUint32(FIXED_HEADER + ENTRY * i + 4, crc32(c), true);
    out.set(c, offset);
    offset += c.length;
  });
  return out;
}

/**
 * Checks the header, d, the count, every length and CRC, and that the blob ends exactly after the last ciphertext.
 * Errors are MESSAGE_INVALID and name the field. Does not look inside the ciphertexts (SEAL does that on load).
 */
export function decodeBlob(blob: Uint8Array, limits: BlobLimits): BlobLayout {
  if (!(blob instanceof Uint8Array)) throw bad('not a byte array');
  if (blob.length < FIXED_HEADER)
    throw bad(`${blob.length} bytes is shorter than the ${FIXED_HEADER}-byte header`);
  if (MAGIC.some((b, i) => blob[i] !== b)) throw bad('wrong magic (expected "FLHE")');
  if (blob[4] !== BLOB_VERSION)
    throw bad(`unsupported version ${blob[4]} (this build reads ${BLOB_VERSION})`);
  if (blob[5] !== 0 || blob[6] !== 0 || blob[7] !== 0) throw bad('reserved header bytes are not zero');
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const d = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  if (d < 1) throw bad('d is 0');
  if (limits.expectedD !== undefined && d !== limits.expectedD) {
    throw bad(`d is ${d}, expected ${limits.expectedD}`);
  }
  const expectedCount = Math.ceil(d / limits.slots);
  if (count !== expectedCount) {
    throw bad(`ciphertext count is ${count}; d = ${d} at ${limits.slots} slots needs ${expectedCount}`);
  }
  const headerBytes = FIXED_HEADER + ENTRY * count;
  if (blob.length < headerBytes)
    throw bad(`truncated in the length table (${blob.length} < ${headerBytes} bytes)`);
  let offset = headerBytes;
  const ciphertexts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(FIXED_HEADER + ENTRY * i, true);
    const crc = view.getUint32(FIXED_HEADER + ENTRY * i + 4, true);
    if (length === 0 || length > limits.maxCiphertextBytes) {
      throw bad(`ciphertext ${i} length ${length} is outside [1, ${limits.maxCiphertextBytes}]`);
    }
    if (offset + length > blob.length) {
      throw bad(`truncated: ciphertext ${i} needs bytes up to ${offset + length}, blob has ${blob.length}`);
    }
    const bytes = blob.subarray(offset, offset + length);
    if (crc32(bytes) !== crc) throw bad(`ciphertext ${i} fails its CRC-32 (corrupted)`);
    ciphertexts.push(bytes);
    offset += length;
  }
  if (offset !== blob.length) throw bad(`${blob.length - offset} trailing bytes after the last ciphertext`);
  return { d, ciphertexts };
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, the zlib one). */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

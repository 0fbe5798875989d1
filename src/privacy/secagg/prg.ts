/**
 * Mask expansion: a 32-byte seed becomes a stream of uint32 masks by AES-256-CTR over zeros (the seed is the key, the
 * counter starts at zero), through WebCrypto. AES-CTR is a PRF in counter mode, so the stream is computationally
 * indistinguishable from uniform; each seed is used for one vector only (self-mask seeds are fresh per round and
 * pairwise seeds are derived per round from fresh keys), so the fixed counter never repeats under one key.
 *
 * Masks are added to an accumulator in place, modulo 2^32; reducing modulo a smaller power of two 2^m happens once at
 * the end (2^m divides 2^32, so the result is the same). WebCrypto is called on 1 MiB chunks with two requests in
 * flight while the current chunk is added: 4 MiB buffers spent more system time faulting in fresh pages, smaller
 * ones more per call; in the full path the expansion alone measured about the same either way (~1.6-1.9 GB/s per
 * CPU second on a loaded 2-core machine), and most of its cost is inside WebCrypto (the input copy, its cleansing,
 * page faults). The add is a WebAssembly SIMD kernel (mask-add.ts): expansion plus add went from ~0.8 to ~1.2 GB/s
 * per CPU second in interleaved runs.
 *
 * Byte order: the stream is read as little-endian uint32, which is how every supported platform lays out a
 * Uint32Array; a big-endian platform is refused rather than computing masks that do not cancel.
 */
import { FlotillaError } from '../../core/index.js';
import { aesCtr, importAesCtrKey } from './crypto.js';
import { addMaskChunk, addMaskChunks } from './mask-add.js';

const CHUNK_BYTES = 1 << 20;
/** WebCrypto requests outstanding while the caller works on the current chunk. */
const IN_FLIGHT = 2;
const BLOCK_BYTES = 16;
const ZEROS = new Uint8Array(CHUNK_BYTES);

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

export function assertLittleEndian(): void {
  if (!LITTLE_ENDIAN) {
    throw new FlotillaError('CRYPTO_UNAVAILABLE', 'secure aggregation needs a little-endian platform');
  }
}

/** The counter block of chunk `index`: the block number index * (CHUNK_BYTES / 16), big-endian, in the low 8 bytes. */
function counterBlock(index: number): Uint8Array {
  const block = new Uint8Array(BLOCK_BYTES);
  new DataView(block.buffer).setBigUint64(8, BigInt(index) * BigInt(CHUNK_BYTES / BLOCK_BYTES), false);
  return block;
}

/**
 * The mask stream of `seed`, `words` uint32 values long, as consecutive chunks (each a fresh array). The next
 * IN_FLIGHT chunks are requested before the current one is handed out, so AES runs on WebCrypto's threads while the
 * caller adds.
 */
export async function* maskStream(seed: Uint8Array, words: number): AsyncGenerator<Uint32Array> {
  assertLittleEndian();
  const key = await importAesCtrKey(seed);
  const totalBytes = words * 4;
  const chunks = Math.ceil(totalBytes / CHUNK_BYTES);
  const encryptChunk = (i: number): Promise<ArrayBuffer> =>
    aesCtr(key, counterBlock(i), ZEROS.subarray(0, Math.min(CHUNK_BYTES, totalBytes - i * CHUNK_BYTES)));
  const pending: Promise<ArrayBuffer>[] = [];
  let requested = 0;
  while (requested < chunks && pending.length < IN_FLIGHT) pending.push(encryptChunk(requested++));
  try {
    for (let i = 0; i < chunks; i++) {
      const chunk = new Uint32Array(await pending.shift()!);
      if (requested < chunks) pending.push(encryptChunk(requested++));
      yield chunk;
    }
  } finally {
    // A consumer that stops early leaves requests behind; settle them so none rejects unobserved.
    for (const p of pending) p.catch(() => undefined);
  }
}

/** Adds (sign +1) or subtracts (sign -1) the mask stream of `seed` to `acc`, modulo 2^32. */
export async function applyMask(acc: Uint32Array, seed: Uint8Array, sign: 1 | -1): Promise<void> {
  let offset = 0;
  for await (const stream of maskStream(seed, acc.length)) {
    addMaskChunk(acc, offset, stream, sign);
    offset += stream.length;
  }
}

/** Seeds whose streams applyMasks applies together: each group's chunks are in flight at once. */
const SEEDS_PER_PASS = 4;

/**
 * Adds or subtracts the mask streams of several seeds to `acc`, modulo 2^32: the same result as one applyMask per
 * seed, but up to SEEDS_PER_PASS streams are added in one pass over `acc`, so `acc` is read and written once per
 * group rather than once per seed.
 */
export async function applyMasks(
  acc: Uint32Array,
  masks: readonly { readonly seed: Uint8Array; readonly sign: 1 | -1 }[],
): Promise<void> {
  for (let g = 0; g < masks.length; g += SEEDS_PER_PASS) {
    const group = masks.slice(g, g + SEEDS_PER_PASS);
    const streams = group.map(({ seed }) => maskStream(seed, acc.length));
    const signs = group.map(({ sign }) => sign);
    try {
      let offset = 0;
      for (;;) {
        const next = await Promise.all(streams.map((stream) => stream.next()));
        if (next.some((r) => r.done === true)) break;
        const chunks = next.map((r) => r.value as Uint32Array);
        addMaskChunks(acc, offset, chunks, signs);
        offset += chunks[0]!.length;
      }
    } finally {
      await Promise.all(streams.map((stream) => stream.return(undefined)));
    }
  }
}

/** The first `length` masks of `seed` (for tests and benchmarks; the protocol uses applyMask). */
export async function expandMask(seed: Uint8Array, length: number): Promise<Uint32Array> {
  const out = new Uint32Array(length);
  await applyMask(out, seed, 1);
  return out;
}

/** Reduces every value modulo 2^bits in place (no-op for 32 bits: Uint32Array storage already is mod 2^32). */
export function reduceModulo(values: Uint32Array, bits: number): void {
  if (bits >= 32) return;
  const m = 2 ** bits - 1;
  for (let i = 0; i < values.length; i++) values[i] = values[i]! & m;
}

/** acc += values, modulo 2^32 (`values` as long as `acc`). */
export function addInto(acc: Uint32Array, values: Uint32Array): void {
  if (values.length !== acc.length) throw new RangeError('addInto needs vectors of the same length');
  addMaskChunk(acc, 0, values, 1);
}

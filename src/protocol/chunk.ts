/**
 * Chunking: a frame larger than the peer's frame limit travels as a sequence of chunks, each a transport message of
 * its own, and is reassembled on arrival under a size cap. Chunks carry opaque bytes (a slice of an encoded FLTL
 * frame), so they have a fixed binary header instead of a JSON one:
 *
 *   offset  size  field
 *   0       4     magic "FLTC"
 *   4       2     chunk format version (u16 LE, 1)
 *   6       2     reserved, 0
 *   8       4     message id (u32 LE), chosen by the sender, the same in every chunk of a message
 *   12      4     chunk index (u32 LE), 0-based, chunks arrive in order
 *   16      4     chunk count (u32 LE), >= 2
 *   20      4     total bytes of the reassembled message (u32 LE)
 *   24      n     the chunk's bytes (at least 1)
 *
 * The reassembler checks the declared total against its cap before buffering anything, and every later chunk
 * against the first, so a peer can never make it hold more than the cap; it allocates as data arrives, and a
 * ByteBudget shared by many reassemblers caps what they hold together.
 */
import { FlotillaError } from '../core/index.js';

export const CHUNK_MAGIC: readonly number[] = [0x46, 0x4c, 0x54, 0x43]; // "FLTC"
export const CHUNK_VERSION = 1;
export const CHUNK_HEADER_BYTES = 24;

export function isChunk(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && CHUNK_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Splits `frame` into chunks of at most `maxChunkBytes` bytes each (header included). A frame that fits is returned
 * as is, in a one-element list, so callers can always send what this returns.
 */
export function splitFrame(frame: Uint8Array, maxChunkBytes: number, messageId: number): Uint8Array[] {
  if (frame.byteLength <= maxChunkBytes) return [frame];
  const room = maxChunkBytes - CHUNK_HEADER_BYTES;
  if (!Number.isSafeInteger(room) || room < 1) {
    throw new FlotillaError('INVALID_ARGUMENT', `chunk limit ${maxChunkBytes} leaves no room for data`);
  }
  if (frame.byteLength > 0xffff_ffff) {
    throw new FlotillaError('CODEC_OVERSIZED', `cannot chunk a ${frame.byteLength}-byte frame (limit 4 GiB)`);
  }
  const count = Math.ceil(frame.byteLength / room);
  const chunks: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const data = frame.subarray(index * room, Math.min(frame.byteLength, (index + 1) * room));
    const chunk = new Uint8Array(CHUNK_HEADER_BYTES + data.byteLength);
    const view = new DataView(chunk.buffer);
    chunk.set(CHUNK_MAGIC, 0);
    view.setUint16(4, CHUNK_VERSION, true);
    view.setUint32(8, messageId >>> 0, true);
    view.setUint32(12, index, true);
    view.setUint32(16, count, true);
    view.setUint32(20, frame.byteLength, true);
    chunk.set(data, CHUNK_HEADER_BYTES);
    chunks.push(chunk);
  }
  return chunks;
}

/**
 * Bytes held for incomplete messages across many reassemblers (all the connections of a server), under one cap: a
 * peer that declares a large message holds only what it sent, and all peers together hold at most `limit`.
 */
export class ByteBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Bytes reserved now. */
  get used(): number {
    return this.held;
  }

  /** Reserves `bytes`; false (reserving nothing) when that would exceed the limit. */
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

/** First allocation for a chunked message; later ones double, up to its declared total. */
const INITIAL_CAPACITY = 64 * 1024;

interface Pending {
  readonly messageId: number;
  readonly count: number;
  readonly total: number;
  buffer: Uint8Array;
  next: number;
  filled: number;
}

/**
 * Reassembles one chunked message at a time (peers send a message's chunks back to back). `add` returns the whole
 * frame when its last chunk arrives, undefined before; it throws CODEC_CORRUPT for a malformed or out-of-sequence
 * chunk and CODEC_OVERSIZED for a message above the cap or when the shared budget is spent (details.shared). After a
 * throw the reassembler is empty again. The buffer grows as data arrives, never to the declared total up front, so a
 * header that declares 256 MiB costs what its chunk carries.
 */
export class Reassembler {
  private pending: Pending | undefined;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly budget: ByteBudget = new ByteBudget(Number.POSITIVE_INFINITY),
  ) {}

  /** Bytes currently held for an incomplete message. */
  get bufferedBytes(): number {
    return this.pending?.buffer.byteLength ?? 0;
  }

  add(chunk: Uint8Array): Uint8Array | undefined {
    try {
      return this.accept(chunk);
    } catch (error) {
      this.reset();
      throw error;
    }
  }

  /** Drops an incomplete message and gives its bytes back to the budget (its connection closed). */
  reset(): void {
    this.budget.release(this.bufferedBytes);
    this.pending = undefined;
  }

  private accept(chunk: Uint8Array): Uint8Array | undefined {
    const corrupt = (message: string) => new FlotillaError('CODEC_CORRUPT', `chunk: ${message}`);
    if (chunk.byteLength <= CHUNK_HEADER_BYTES || !isChunk(chunk)) {
      throw corrupt('not a chunk with a header and data');
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (view.getUint16(4, true) !== CHUNK_VERSION || view.getUint16(6, true) !== 0) {
      throw new FlotillaError(
        'CODEC_VERSION',
        `chunk format version ${view.getUint16(4, true)} is not supported`,
      );
    }
    const messageId = view.getUint32(8, true);
    const index = view.getUint32(12, true);
    const count = view.getUint32(16, true);
    const total = view.getUint32(20, true);
    const data = chunk.subarray(CHUNK_HEADER_BYTES);
    if (index === 0) {
      if (this.pending)
        throw corrupt(`message ${messageId} started before message ${this.pending.messageId} ended`);
      if (count < 2 || count > total) throw corrupt(`count ${count} does not fit a ${total}-byte message`);
      if (total > this.maxMessageBytes) {
        throw new FlotillaError(
          'CODEC_OVERSIZED',
          `chunked message of ${total} bytes exceeds the limit of ${this.maxMessageBytes} bytes`,
        );
      }
      this.pending = { messageId, count, total, buffer: new Uint8Array(0), next: 0, filled: 0 };
    }
    const p = this.pending;
    if (!p) throw corrupt(`chunk ${index} of message ${messageId} arrived without its first chunk`);
    if (messageId !== p.messageId || index !== p.next || count !== p.count || total !== p.total) {
      throw corrupt(
        `expected chunk ${p.next}/${p.count} of message ${p.messageId}, got ${index}/${count} of message ${messageId}`,
      );
    }
    if (p.filled + data.byteLength > total)
      throw corrupt(`message ${messageId} overflows its declared ${total} bytes`);
    this.grow(p, p.filled + data.byteLength);
    p.buffer.set(data, p.filled);
    p.filled += data.byteLength;
    p.next++;
    if (p.next < p.count) return undefined;
    if (p.filled !== total)
      throw corrupt(`message ${messageId} has ${p.filled} of its declared ${total} bytes`);
    // The frame now belongs to the caller: it no longer counts against the budget of incomplete messages.
    this.reset();
    return p.buffer;
  }

  /** Makes room for `needed` bytes: doubling (so copies stay linear), never past the declared total. */
  private grow(p: Pending, needed: number): void {
    const capacity = p.buffer.byteLength;
    if (needed <= capacity) return;
    const next = Math.min(p.total, Math.max(needed, capacity * 2, INITIAL_CAPACITY));
    if (!this.budget.reserve(next - capacity)) {
      throw new FlotillaError(
        'CODEC_OVERSIZED',
        `incomplete messages already hold ${this.budget.used} of the ${this.budget.limit} bytes allowed; ` +
          `message ${p.messageId} needs ${next - capacity} more`,
        { shared: true },
      );
    }
    const buffer = new Uint8Array(next);
    buffer.set(p.buffer.subarray(0, p.filled));
    p.buffer = buffer;
  }
}

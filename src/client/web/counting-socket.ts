/**
 * Counts the bytes a client's socket sends and receives (what a participant page shows): a WebSocketLike around the
 * platform's own socket that forwards everything and tallies frame sizes on the way.
 */
import type { WebSocketFactory, WebSocketLike } from '../connection.js';

/**
 * Running totals of one client's traffic, across reconnects.
 * @example
 * ```ts
 * const counts: ByteCounts = client.bytes;
 * console.log(`${counts.sent} bytes sent, ${counts.received} received`);
 * ```
 */
export interface ByteCounts {
  sent: number;
  received: number;
}

function size(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return typeof data === 'string' ? data.length : 0;
}

class CountingSocket implements WebSocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(
    private readonly inner: WebSocketLike,
    private readonly counts: ByteCounts,
    private readonly changed: () => void,
  ) {
    inner.onopen = (event) => this.onopen?.(event);
    inner.onmessage = (event) => {
      counts.received += size(event.data);
      this.changed();
      this.onmessage?.(event);
    };
    inner.onclose = (event) => this.onclose?.(event);
    inner.onerror = (event) => this.onerror?.(event);
  }

  get binaryType(): string {
    return this.inner.binaryType;
  }

  set binaryType(value: string) {
    this.inner.binaryType = value;
  }

  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }

  send(data: Uint8Array): void {
    this.inner.send(data);
    this.counts.sent += data.byteLength;
    this.changed();
  }

  close(code?: number, reason?: string): void {
    this.inner.close(code, reason);
  }
}

/** Wraps `connect` so every socket it opens adds its traffic to `counts` and calls `changed` after each frame. */
export function countingSocketFactory(
  connect: WebSocketFactory,
  counts: ByteCounts,
  changed: () => void,
): WebSocketFactory {
  return (url) => new CountingSocket(connect(url), counts, changed);
}

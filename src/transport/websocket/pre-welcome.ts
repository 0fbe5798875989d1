/**
 * Counts the bytes arriving under a WebSocket before its hello is welcomed. The WebSocket library buffers a whole
 * message (up to the server's maxFrameBytes, 16 MiB by default) before the session sees any of it, so checking the
 * hello's size after the fact would let every unauthenticated connection make the server hold that much; counting
 * the raw stream cuts such a peer off after twice the hello limit (room for WebSocket framing).
 */

/** The part of a Node socket (TCP or TLS) the meter uses. */
export interface ByteStream {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  off(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  pause(): unknown;
}

export class PreWelcomeMeter {
  private received = 0;
  private readonly count = (chunk: Uint8Array) => {
    this.received += chunk.byteLength;
    if (this.received <= this.limit) return;
    this.stop();
    this.overflow(this.limit);
    // Read nothing more: the WebSocket library buffers nothing further while the refusal goes out.
    this.stream.pause();
  };

  constructor(
    private readonly stream: ByteStream,
    readonly limit: number,
    private readonly overflow: (limit: number) => void,
  ) {
    stream.on('data', this.count);
  }

  /** The hello was welcomed, or the connection closed: stop counting. */
  stop(): void {
    this.stream.off('data', this.count);
  }
}

/** Node's WebSocket for ClientConnection: `ws`, with the CA to trust and an optional client certificate (mTLS). */
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import type { WebSocketFactory, WebSocketLike } from '../connection.js';

export interface NodeSocketOptions {
  /** PEM file of the CA that signed the server certificate (a private CA from `flotilla certs init`). */
  readonly caFile?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The same as PEM text or bytes rather than files (each wins over its file). */
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Largest message accepted from the server. */
  readonly maxPayload?: number;
}

export function nodeWebSocketFactory(options: NodeSocketOptions = {}): WebSocketFactory {
  const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile) : undefined);
  const cert = options.cert ?? (options.certFile ? readFileSync(options.certFile) : undefined);
  const key = options.key ?? (options.keyFile ? readFileSync(options.keyFile) : undefined);
  return (url) =>
    new WebSocket(url, {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 32 * 1024 * 1024,
      handshakeTimeout: 10_000,
    }) as unknown as WebSocketLike;
}

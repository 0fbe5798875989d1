/**
 * Caps connections that have not authenticated yet. Every TCP connection counts from its first byte (before TLS)
 * until its WebSocket hello is welcomed or it closes; past the cap a new connection is closed at once, so a flood of
 * silent or slow sockets cannot exhaust the server while its timeouts run. Authenticated clients never count.
 */
import type { Server, Socket } from 'node:net';

export class ConnectionGate {
  /** Unauthenticated connections by "address:port" (the same for the TCP socket and the TLS socket over it). */
  private readonly open = new Set<string>();
  private refusedCount = 0;

  constructor(private readonly max: number) {}

  /** Connections open now that have not authenticated. */
  get unauthenticated(): number {
    return this.open.size;
  }

  /** Connections closed at once because the cap was reached. */
  get refused(): number {
    return this.refusedCount;
  }

  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.admit(socket));
  }

  /** The connection of this socket authenticated: it no longer counts. */
  authenticated(socket: Socket): void {
    this.open.delete(keyOf(socket));
  }

  private admit(socket: Socket): void {
    if (socket.remoteAddress === undefined || this.open.size >= this.max) {
      this.refusedCount++;
      socket.destroy();
      return;
    }
    const key = keyOf(socket);
    this.open.add(key);
    socket.once('close', () => this.open.delete(key));
  }
}

function keyOf(socket: Socket): string {
  return `${socket.remoteAddress}:${socket.remotePort}`;
}

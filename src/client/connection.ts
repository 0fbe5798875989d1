/**
 * A client's connection to the server, over anything shaped like the browser's WebSocket (the browser's own, or
 * `ws` in Node). One `ClientConnection` is one socket's life: hello, welcome, then tasks answered one at a time by the
 * ClientRuntime, heartbeats both ways, chunking both ways. It resolves with how the socket ended; the reconnect loop
 * (reconnect.ts) decides what to do next. Browser-safe: no platform imports.
 */
import { FlotillaError, type ErrorCode, type ParameterSet } from '../core/index.js';
import {
  PROTOCOL_VERSION,
  Reassembler,
  decodeControl,
  decodeMessage,
  encodeControl,
  isChunk,
  isControlFrame,
  kindByCode,
  peekFields,
  peekKindCode,
  splitFrame,
  type ClientCapabilities,
  type RefusalMessage,
  type WelcomeMessage,
} from '../protocol/index.js';
import type { ClientRuntime } from './runtime.js';
import { describeSocketError, type SocketFailure } from './socket-error.js';

/** The part of the WebSocket API a connection uses (the browser's WebSocket and `ws` both have it). */
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface ConnectionOptions {
  readonly url: string;
  readonly clientId: string;
  /** Empty under mutual TLS when the certificate is the credential. */
  readonly token: string;
  readonly runtime: ClientRuntime;
  readonly connect: WebSocketFactory;
  readonly capabilities?: Partial<ClientCapabilities>;
  /** Called with the global parameters of every task received (e.g. to cache them on disk). */
  readonly onGlobalModel?: (params: ParameterSet, round: number) => void | Promise<void>;
  /** Called for every task answered. */
  readonly onTask?: (event: { type: string; round: number; taskId: string; ms: number }) => void;
  readonly onWelcome?: (welcome: WelcomeMessage) => void;
}

/** How a connection ended. */
export interface ConnectionEnd {
  /** The server's refusal, if it sent one before closing. */
  readonly refusal?: RefusalMessage;
  /** Whether the client got past the handshake (resets the reconnect backoff). */
  readonly welcomed: boolean;
  readonly reason: string;
  /** What the socket's error said, where the platform tells (Node): e.g. a certificate that does not verify. */
  readonly failure?: SocketFailure;
}

const DEFAULT_CAPABILITIES: ClientCapabilities = {
  tasks: ['fit', 'evaluate'],
  maxFrameBytes: 16 * 1024 * 1024,
  runtime: 'js',
};

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

export class ClientConnection {
  private readonly socket: WebSocketLike;
  private readonly capabilities: ClientCapabilities;
  private readonly reassembler: Reassembler;
  private welcome: WelcomeMessage | undefined;
  private refusal: RefusalMessage | undefined;
  private failure: SocketFailure | undefined;
  private lastHeard = Date.now();
  private watchdog: ReturnType<typeof setInterval> | undefined;
  /** Tasks run one after another, in arrival order. */
  private work: Promise<void> = Promise.resolve();
  private messageIds = 0;
  private ended = false;
  readonly done: Promise<ConnectionEnd>;

  constructor(private readonly options: ConnectionOptions) {
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    this.reassembler = new Reassembler(this.capabilities.maxFrameBytes * 16);
    let resolveDone!: (end: ConnectionEnd) => void;
    this.done = new Promise((resolve) => (resolveDone = resolve));
    this.socket = options.connect(options.url);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => this.send(this.hello());
    this.socket.onmessage = (event) => this.receive(event.data);
    this.socket.onerror = (event) => {
      // An error is always followed by a close event, which ends the connection; keep what it says about why.
      this.failure ??= describeSocketError(event);
    };
    this.socket.onclose = (event) => {
      if (this.ended) return;
      this.ended = true;
      clearInterval(this.watchdog);
      resolveDone({
        ...(this.refusal ? { refusal: this.refusal } : {}),
        welcomed: this.welcome !== undefined,
        reason: `closed (${event.code}${event.reason ? ` ${event.reason}` : ''})${this.failure ? `: ${this.failure.message}` : ''}`,
        ...(this.failure ? { failure: this.failure } : {}),
      });
    };
  }

  /** Closes the connection (the reconnect loop's stop). */
  close(reason = 'client stopping'): void {
    if (this.welcome) {
      this.send(
        encodeControl({ type: 'refusal', code: 'SERVER_SHUTDOWN', message: reason, retryable: true }),
      );
    }
    this.socket.close(1000, 'bye');
  }

  private hello(): Uint8Array {
    return encodeControl({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      clientId: this.options.clientId,
      token: this.options.token,
      capabilities: this.capabilities,
    });
  }

  private send(frame: Uint8Array): void {
    const max = this.welcome?.maxFrameBytes ?? frame.byteLength;
    for (const part of splitFrame(frame, max, ++this.messageIds)) this.socket.send(part);
  }

  /** A server that breaks the protocol is left: the reconnect loop will try again later. */
  private abandon(code: ErrorCode, message: string): void {
    this.refusal ??= { type: 'refusal', code, message, retryable: true };
    this.socket.close(1002, code);
  }

  private receive(data: unknown): void {
    this.lastHeard = Date.now();
    let bytes = toBytes(data);
    if (!bytes) return this.abandon('MESSAGE_INVALID', 'the server sent a text message');
    try {
      if (isChunk(bytes)) {
        bytes = this.reassembler.add(bytes);
        if (!bytes) return;
      }
      if (isControlFrame(bytes)) return this.control(bytes);
      if (!this.welcome) return this.abandon('MESSAGE_INVALID', 'the server sent a task before the welcome');
      const frame = bytes;
      this.work = this.work.then(() => this.task(frame));
    } catch (error) {
      this.abandon('MESSAGE_INVALID', error instanceof Error ? error.message : String(error));
    }
  }

  private control(bytes: Uint8Array): void {
    const message = decodeControl(bytes);
    switch (message.type) {
      case 'welcome':
        if (this.welcome) return this.abandon('MESSAGE_INVALID', 'a second welcome');
        this.welcome = message;
        this.watchdog = setInterval(() => {
          if (Date.now() - this.lastHeard > message.heartbeatTimeoutMs) {
            this.abandon(
              'CONNECTION_CLOSED',
              `nothing heard from the server for ${message.heartbeatTimeoutMs} ms`,
            );
          }
        }, message.heartbeatMs);
        this.options.onWelcome?.(message);
        return;
      case 'ping':
        this.send(encodeControl({ type: 'pong', seq: message.seq }));
        return;
      case 'refusal':
        this.refusal = message;
        return; // the server closes the socket right after
      case 'pong':
        return;
      case 'hello':
        return this.abandon('MESSAGE_INVALID', 'the server sent a hello');
    }
  }

  private async task(frame: Uint8Array): Promise<void> {
    if (this.ended) return;
    const start = Date.now();
    try {
      if (this.options.onGlobalModel) {
        const task = decodeMessage(frame);
        if (task.type === 'fit-task' || task.type === 'evaluate-task') {
          await this.options.onGlobalModel(task.params, task.round);
        }
      }
      const reply = await this.options.runtime.handle(frame);
      if (this.ended) return;
      this.send(reply);
      const fields = peekFields(reply);
      this.options.onTask?.({
        type: kindByCode(peekKindCode(reply) ?? 0)?.type ?? 'unknown',
        round: Number(fields?.round),
        taskId: String(fields?.taskId),
        ms: Date.now() - start,
      });
    } catch (error) {
      // The runtime rejects only frames it cannot read as tasks: the server is not speaking the protocol.
      this.abandon('MESSAGE_INVALID', error instanceof Error ? error.message : String(error));
    }
  }
}

/** Thrown by the reconnect loop when the server refuses the client for good. */
export function refusalError(refusal: RefusalMessage): FlotillaError {
  const code: ErrorCode =
    refusal.code === 'PROTOCOL_VERSION'
      ? 'PROTOCOL_VERSION'
      : refusal.code === 'AUTH_FAILED'
        ? 'AUTH_FAILED'
        : 'CONNECTION_CLOSED';
  return new FlotillaError(code, `the server refused this client: ${refusal.code}: ${refusal.message}`);
}

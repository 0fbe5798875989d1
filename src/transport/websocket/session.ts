/**
 * One client connection on the server: the handshake, heartbeats, limits, and the check that every reply answers a
 * task this connection was sent. Whatever a peer sends, the outcome is a typed refusal and a closed connection, never
 * an exception in the server: the session validates, the pool routes, the engine decides.
 */
import type { WebSocket } from 'ws';
import { isFlotillaError, type ErrorCode } from '../../core/index.js';
import {
  ByteBudget,
  PROTOCOL_VERSION,
  Reassembler,
  decodeControl,
  decodeMessage,
  encodeControl,
  isChunk,
  isControlFrame,
  peekHelloVersion,
  splitFrame,
  supportsProtocolVersion,
  type ClientCapabilities,
  type DecodeLimits,
  type Message,
  type RefusalCode,
} from '../../protocol/index.js';
import { PreWelcomeMeter, type ByteStream } from './pre-welcome.js';
import { TokenBucket } from './rate-limit.js';

export interface SessionLimits {
  /** Largest single WebSocket message accepted (also the server's `maxPayload`). */
  readonly maxFrameBytes: number;
  /** Largest message after reassembly of chunks; also what one connection may hold for a message still arriving. */
  readonly maxMessageBytes: number;
  /** What all connections together may hold for chunked messages still arriving. */
  readonly maxReassemblyBytes: number;
  /** Largest message before the welcome (the hello); chunked messages are refused before it. */
  readonly maxHelloBytes: number;
  /**
   * Largest JSON header of a message. Parsing costs up to a millisecond per 10-50 KiB, so this bounds what refusing
   * a hostile header costs; 64 KiB holds the tensor list of a model of about a thousand tensors.
   */
  readonly maxHeaderBytes: number;
  /** Bytes that may wait unsent on a connection; a task sent to a connection over it fails with 'backpressure'. */
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  /** A client silent for this long (no message, no pong) is disconnected. Must exceed its longest fit. */
  readonly heartbeatTimeoutMs: number;
  /** Time allowed between the WebSocket upgrade and an accepted hello. */
  readonly handshakeTimeoutMs: number;
  /** Sustained messages per second per connection, and the burst allowed above it. */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxMessageBytes: 256 * 1024 * 1024,
  maxReassemblyBytes: 1024 * 1024 * 1024,
  maxHelloBytes: 64 * 1024,
  maxHeaderBytes: 64 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  heartbeatMs: 5_000,
  heartbeatTimeoutMs: 60_000,
  handshakeTimeoutMs: 10_000,
  messagesPerSecond: 50,
  messageBurst: 200,
};

export interface Credentials {
  readonly clientId: string;
  readonly token: string;
  /** SHA-256 fingerprint (lowercase hex) of the verified TLS client certificate, under mutual TLS. */
  readonly certificateFingerprint?: string;
  readonly remoteAddress?: string;
}

export type AuthDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Decides whether a hello's credentials identify a registered, unrevoked client. */
export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthDecision> | AuthDecision;
}

export interface ConnectionInfo {
  readonly remoteAddress?: string;
  readonly certificateFingerprint?: string;
  /** The byte stream under the WebSocket (the TCP or TLS socket), metered until the welcome (pre-welcome.ts). */
  readonly stream?: ByteStream;
  /** Called once when the hello is accepted (the server stops counting the connection as unauthenticated). */
  readonly onWelcome?: () => void;
}

/** What a session tells its pool. */
export interface SessionHooks {
  ready(session: ServerSession): void;
  reply(session: ServerSession, taskId: string, frame: Uint8Array): void;
  closed(session: ServerSession, reason: string): void;
  refused(event: { clientId?: string; remoteAddress?: string; code: RefusalCode; message: string }): void;
}

type Phase = 'handshake' | 'authenticating' | 'ready' | 'closed';

interface Outstanding {
  readonly round: number;
  readonly replies: readonly Message['type'][];
}

/** Replies to tasks whose deadline passed are dropped quietly; remember this many such task ids per session. */
const EXPIRED_MEMORY = 64;

/** What may answer each task; a fit task under secure or homomorphic aggregation is answered by its stage 0. */
const TASK_REPLIES: Partial<Record<Message['type'], readonly Message['type'][]>> = {
  'fit-task': ['fit-result', 'stage-result', 'task-failed'],
  'evaluate-task': ['evaluate-result', 'task-failed'],
  'stage-task': ['stage-result', 'task-failed'],
};

const WS_POLICY_VIOLATION = 1008;
const WS_GOING_AWAY = 1001;

let nextSessionNumber = 0;

export class ServerSession {
  readonly sessionId: string;
  clientId: string | undefined;
  capabilities: ClientCapabilities | undefined;
  private phase: Phase = 'handshake';
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly expired: string[] = [];
  private readonly reassembler: Reassembler;
  private readonly bucket: TokenBucket;
  private readonly decodeLimits: DecodeLimits;
  private lastHeard = Date.now();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private pingSeq = 0;
  private messageIds = 0;
  private readonly meter: PreWelcomeMeter | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly info: ConnectionInfo,
    private readonly limits: SessionLimits,
    private readonly authenticator: Authenticator,
    private readonly hooks: SessionHooks,
    budget: ByteBudget = new ByteBudget(limits.maxReassemblyBytes),
  ) {
    this.sessionId = `s${++nextSessionNumber}-${Date.now().toString(36)}`;
    this.reassembler = new Reassembler(limits.maxMessageBytes, budget);
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    this.decodeLimits = {
      maxFrameBytes: limits.maxMessageBytes,
      maxHeaderBytes: limits.maxHeaderBytes,
      maxTensors: 4096,
    };
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => this.receive(data as Buffer | Buffer[], isBinary));
    socket.on('close', (code, reason) => this.finish(`socket closed (${code} ${reason.toString()})`));
    socket.on('error', (error) => this.finish(`socket error: ${error.message}`));
    this.meter =
      info.stream &&
      new PreWelcomeMeter(info.stream, 2 * limits.maxHelloBytes, (limit) =>
        this.refuse(
          'OVERSIZED',
          `more than ${limit} bytes arrived before the welcome; a hello is at most ${limits.maxHelloBytes}`,
          false,
        ),
      );
    this.handshakeTimer = setTimeout(
      () => this.refuse('HANDSHAKE_REQUIRED', `no hello within ${limits.handshakeTimeoutMs} ms`, true),
      limits.handshakeTimeoutMs,
    );
  }

  get isReady(): boolean {
    return this.phase === 'ready';
  }

  /** Bytes queued on the socket and not yet written to the network. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /**
   * Sends a task frame and remembers which replies it allows. Returns false (sending nothing) when the connection's
   * send buffer would grow past the cap: a slow client must not make the server hold its backlog.
   */
  sendTask(taskId: string, round: number, type: Message['type'], frame: Uint8Array): boolean {
    if (this.phase !== 'ready') return false;
    // Judged on what is still queued, not on this frame: a frame larger than the cap can still go to a client
    // that keeps up, while a client that stopped reading is refused more.
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) return false;
    this.outstanding.set(taskId, { round, replies: TASK_REPLIES[type] ?? [] });
    this.sendFrame(frame);
    return true;
  }

  /** Stops expecting a reply to `taskId` (its deadline passed); a late reply will be dropped, not refused. */
  expire(taskId: string): void {
    if (!this.outstanding.delete(taskId)) return;
    this.expired.push(taskId);
    if (this.expired.length > EXPIRED_MEMORY) this.expired.shift();
  }

  /** Task ids sent on this connection and not yet answered or expired. */
  pendingTasks(): string[] {
    return [...this.outstanding.keys()];
  }

  /** Sends a refusal, then closes; the pool learns of it through `closed`. */
  refuse(code: RefusalCode, message: string, retryable: boolean): void {
    if (this.phase === 'closed') return;
    this.hooks.refused({
      ...(this.clientId ? { clientId: this.clientId } : {}),
      ...(this.info.remoteAddress ? { remoteAddress: this.info.remoteAddress } : {}),
      code,
      message,
    });
    try {
      this.socket.send(encodeControl({ type: 'refusal', code, message: message.slice(0, 4096), retryable }));
    } catch {
      // The socket may already be broken; closing below is all that is left to do.
    }
    const wsCode =
      code === 'SERVER_SHUTDOWN' || code === 'SUPERSEDED' || code === 'RUN_FINISHED'
        ? WS_GOING_AWAY
        : WS_POLICY_VIOLATION;
    this.socket.close(wsCode, code);
    // A peer that never completes the close handshake must not keep its socket.
    setTimeout(() => this.socket.terminate(), 2_000).unref();
    this.finish(`refused: ${code}: ${message}`);
  }

  private sendFrame(frame: Uint8Array): void {
    const max = this.capabilities?.maxFrameBytes ?? this.limits.maxFrameBytes;
    for (const part of splitFrame(frame, max, ++this.messageIds)) this.socket.send(part);
  }

  private receive(data: Buffer | Buffer[], isBinary: boolean): void {
    if (this.phase === 'closed') return;
    this.lastHeard = Date.now();
    if (!this.bucket.take()) {
      this.refuse('RATE_LIMITED', `more than ${this.limits.messagesPerSecond} messages per second`, true);
      return;
    }
    if (!isBinary) {
      this.refuse('MESSAGE_INVALID', 'text messages are not part of the protocol', false);
      return;
    }
    const buffer = Array.isArray(data) ? Buffer.concat(data) : data;
    let bytes: Uint8Array | undefined = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (bytes.byteLength > this.limits.maxFrameBytes) {
      this.refuse(
        'OVERSIZED',
        `message of ${bytes.byteLength} bytes exceeds ${this.limits.maxFrameBytes}`,
        false,
      );
      return;
    }
    if (this.phase !== 'ready' && bytes.byteLength > this.limits.maxHelloBytes) {
      this.refuse(
        'OVERSIZED',
        `a message of ${bytes.byteLength} bytes before the welcome; a hello is at most ${this.limits.maxHelloBytes}`,
        false,
      );
      return;
    }
    try {
      if (isChunk(bytes)) {
        // Before the welcome nobody may make the server buffer anything: a hello is never chunked.
        if (this.phase !== 'ready') {
          this.refuse('HANDSHAKE_REQUIRED', 'a chunked message arrived before the welcome', false);
          return;
        }
        bytes = this.reassembler.add(bytes);
        if (!bytes) return;
      }
      this.handle(bytes);
    } catch (error) {
      this.refuseFor(error);
    }
  }

  private refuseFor(error: unknown): void {
    const code: ErrorCode | undefined = isFlotillaError(error) ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    // The server's shared receive budget being spent is not this peer's fault: it may try again later.
    const shared = isFlotillaError(error) && error.details.shared === true;
    this.refuse(code === 'CODEC_OVERSIZED' ? 'OVERSIZED' : 'MESSAGE_INVALID', message, shared);
  }

  private handle(bytes: Uint8Array): void {
    if (this.phase === 'handshake') {
      this.hello(bytes);
      return;
    }
    if (this.phase === 'authenticating') {
      this.refuse('HANDSHAKE_REQUIRED', 'a message arrived before the welcome', false);
      return;
    }
    if (isControlFrame(bytes)) {
      const control = decodeControl(bytes, this.decodeLimits);
      if (control.type === 'ping') this.socket.send(encodeControl({ type: 'pong', seq: control.seq }));
      else if (control.type === 'refusal') this.leave(`client left: ${control.code}: ${control.message}`);
      else if (control.type !== 'pong') this.refuse('MESSAGE_INVALID', `unexpected ${control.type}`, false);
      return;
    }
    const message = decodeMessage(bytes, this.decodeLimits);
    const sent = this.outstanding.get(message.taskId);
    if (!sent) {
      if (this.expired.includes(message.taskId)) return; // late, after its deadline: the round moved on
      this.refuse('UNEXPECTED_RESULT', `no task "${message.taskId}" was sent to this client`, false);
      return;
    }
    if (message.round !== sent.round || !sent.replies.includes(message.type)) {
      this.refuse(
        'UNEXPECTED_RESULT',
        `a ${message.type} for round ${message.round} does not answer task "${message.taskId}" of round ${sent.round}`,
        false,
      );
      return;
    }
    this.outstanding.delete(message.taskId);
    this.hooks.reply(this, message.taskId, bytes);
  }

  private hello(bytes: Uint8Array): void {
    if (!isControlFrame(bytes)) {
      this.refuse('HANDSHAKE_REQUIRED', 'the first message must be a hello', false);
      return;
    }
    const version = peekHelloVersion(bytes);
    if (version !== undefined && !supportsProtocolVersion(version)) {
      this.refuse(
        'PROTOCOL_VERSION',
        `client speaks protocol version ${version}; this server speaks version ${PROTOCOL_VERSION}`,
        false,
      );
      return;
    }
    const hello = decodeControl(bytes, this.decodeLimits);
    if (hello.type !== 'hello') {
      this.refuse('HANDSHAKE_REQUIRED', `the first message must be a hello, got ${hello.type}`, false);
      return;
    }
    this.phase = 'authenticating';
    const credentials: Credentials = {
      clientId: hello.clientId,
      token: hello.token,
      ...(this.info.certificateFingerprint
        ? { certificateFingerprint: this.info.certificateFingerprint }
        : {}),
      ...(this.info.remoteAddress ? { remoteAddress: this.info.remoteAddress } : {}),
    };
    Promise.resolve()
      .then(() => this.authenticator.authenticate(credentials))
      .then(
        (decision) => {
          if (this.phase !== 'authenticating') return; // closed meanwhile
          if (!decision.ok) {
            this.clientId = hello.clientId;
            this.refuse('AUTH_FAILED', decision.reason, false);
            return;
          }
          this.welcome(hello.clientId, hello.capabilities);
        },
        (error: unknown) => this.refuse('AUTH_FAILED', `authentication failed: ${String(error)}`, true),
      );
  }

  private welcome(clientId: string, capabilities: ClientCapabilities): void {
    clearTimeout(this.handshakeTimer);
    this.meter?.stop();
    this.info.onWelcome?.();
    this.clientId = clientId;
    this.capabilities = capabilities;
    this.phase = 'ready';
    this.socket.send(
      encodeControl({
        type: 'welcome',
        protocolVersion: PROTOCOL_VERSION,
        sessionId: this.sessionId,
        heartbeatMs: this.limits.heartbeatMs,
        heartbeatTimeoutMs: this.limits.heartbeatTimeoutMs,
        maxFrameBytes: this.limits.maxFrameBytes,
        maxMessageBytes: this.limits.maxMessageBytes,
      }),
    );
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.heartbeat.unref();
    this.hooks.ready(this);
  }

  private beat(): void {
    if (Date.now() - this.lastHeard > this.limits.heartbeatTimeoutMs) {
      this.refuse('HEARTBEAT_TIMEOUT', `nothing heard for ${this.limits.heartbeatTimeoutMs} ms`, true);
      return;
    }
    this.socket.send(encodeControl({ type: 'ping', seq: ++this.pingSeq }));
  }

  private leave(reason: string): void {
    this.socket.close(1000, 'bye');
    this.finish(reason);
  }

  private finish(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    this.meter?.stop();
    this.reassembler.reset();
    clearInterval(this.heartbeat);
    this.hooks.closed(this, reason);
  }
}

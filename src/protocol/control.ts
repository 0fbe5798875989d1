/**
 * Session control messages: what a server and a client say to each other around the tasks (handshake, heartbeat,
 * refusal). They use the same FLTL frames as task messages, with codes 32-47, but a table of their own: control
 * messages never reach the round engine or the ClientRuntime, so the task decoder (decodeMessage) keeps refusing
 * them and the engine's Message union stays the union of task messages.
 */
import {
  FlotillaError,
  arr,
  bool,
  clientIdSchema,
  int,
  obj,
  oneOf,
  optional,
  parse,
  str,
  type Schema,
} from '../core/index.js';
import { decodeFrame, encodeFrame, PREAMBLE_BYTES, type FrameSpec } from './frame.js';
import { DEFAULT_DECODE_LIMITS, PROTOCOL_VERSION, type DecodeLimits } from './messages.js';
import { peekFields, peekKindCode } from './peek.js';
import { failureCodeSchema, failureMessageSchema } from './schemas.js';

/** What a client can do; the server only sends it tasks it declared. */
export interface ClientCapabilities {
  readonly tasks: readonly ('fit' | 'evaluate')[];
  /** Largest single frame the client accepts; bigger messages are sent to it in chunks. */
  readonly maxFrameBytes: number;
  /** Free text for logs and the admin API ("node-20", "browser"). */
  readonly runtime: string;
}

/** First message of a client: who it is, what it proves that with, what it speaks. */
export interface HelloMessage {
  readonly type: 'hello';
  readonly protocolVersion: number;
  readonly clientId: string;
  /** The token issued by `flotilla clients add`; empty when the client proves itself with a TLS certificate. */
  readonly token: string;
  readonly capabilities: ClientCapabilities;
}

/** The server's answer to an accepted hello: the session's rules. */
export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly protocolVersion: number;
  readonly sessionId: string;
  /** The server pings this often; a peer silent for heartbeatTimeoutMs is considered gone. */
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  /** Largest single frame the server accepts; bigger replies must be chunked. */
  readonly maxFrameBytes: number;
  /** Largest message (after reassembly) the server accepts. */
  readonly maxMessageBytes: number;
  readonly runId?: string;
}

export interface PingMessage {
  readonly type: 'ping';
  readonly seq: number;
}

export interface PongMessage {
  readonly type: 'pong';
  readonly seq: number;
}

/** Why a peer is being refused or disconnected; sent just before closing. */
export interface RefusalMessage {
  readonly type: 'refusal';
  /** A RefusalCode, or another identifier from a newer peer. */
  readonly code: string;
  readonly message: string;
  /** Whether reconnecting later can succeed (false for a bad credential or an unsupported version). */
  readonly retryable: boolean;
}

export type ControlMessage = HelloMessage | WelcomeMessage | PingMessage | PongMessage | RefusalMessage;
export type ControlType = ControlMessage['type'];

export const REFUSAL_CODES = [
  'PROTOCOL_VERSION',
  'AUTH_FAILED',
  'HANDSHAKE_REQUIRED',
  'MESSAGE_INVALID',
  'UNEXPECTED_RESULT',
  'RATE_LIMITED',
  'OVERSIZED',
  'HEARTBEAT_TIMEOUT',
  'SUPERSEDED',
  'SERVER_SHUTDOWN',
  /** The run is complete: the client may exit. */
  'RUN_FINISHED',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

const sizeSchema = int({ min: 1024, max: 0xffff_ffff });

const controlSchemas: Record<ControlType, Schema<object>> = {
  hello: obj({
    protocolVersion: int({ min: 0 }),
    clientId: clientIdSchema,
    token: str({ maxLength: 512, secret: true }),
    capabilities: obj({
      tasks: arr(oneOf(['fit', 'evaluate']), { maxLength: 2 }),
      maxFrameBytes: sizeSchema,
      runtime: str({ maxLength: 64 }),
    }),
  }),
  welcome: obj({
    protocolVersion: int({ min: 0 }),
    sessionId: str({ minLength: 1, maxLength: 128 }),
    heartbeatMs: int({ min: 1 }),
    heartbeatTimeoutMs: int({ min: 1 }),
    maxFrameBytes: sizeSchema,
    maxMessageBytes: sizeSchema,
    runId: optional(str({ minLength: 1, maxLength: 128 })),
  }),
  ping: obj({ seq: int({ min: 0 }) }),
  pong: obj({ seq: int({ min: 0 }) }),
  refusal: obj({ code: failureCodeSchema, message: failureMessageSchema, retryable: bool() }),
};

/** Wire codes of control messages; never renumber one. */
export const CONTROL_CODES: Readonly<Record<ControlType, number>> = {
  hello: 32,
  welcome: 33,
  ping: 34,
  pong: 35,
  refusal: 36,
};

const typeByCode = new Map(Object.entries(CONTROL_CODES).map(([type, code]) => [code, type as ControlType]));

/** Whether a frame's kind code (preamble byte 6) is a control message; false for anything too short to tell. */
export function isControlFrame(bytes: Uint8Array): boolean {
  return bytes.length >= PREAMBLE_BYTES && typeByCode.has(bytes[6]!);
}

export function encodeControl(msg: ControlMessage): Uint8Array {
  const schema = controlSchemas[msg.type];
  if (!schema) {
    throw new FlotillaError('INVALID_ARGUMENT', `cannot encode unknown control message ${String(msg.type)}`);
  }
  const { type, ...rest } = msg;
  return encodeFrame(CONTROL_CODES[type], parse(schema, rest, type, 'INVALID_ARGUMENT'), []);
}

/** Decodes and validates a control frame; throws CODEC_* or MESSAGE_INVALID like decodeMessage. */
export function decodeControl(
  bytes: Uint8Array,
  limits: DecodeLimits = DEFAULT_DECODE_LIMITS,
): ControlMessage {
  const { spec, fields } = decodeFrame(bytes, limits, (code): FrameSpec => {
    const type = typeByCode.get(code);
    if (!type) throw new FlotillaError('MESSAGE_INVALID', `frame kind code ${code} is not a control message`);
    return { name: type, sets: [], fields: controlSchemas[type] };
  });
  return { type: spec.name, ...fields } as ControlMessage;
}

/**
 * The protocol version a hello frame claims, read leniently (before the schema) so that a peer speaking another
 * version gets a clear version refusal rather than a schema error about fields that version may have changed.
 * Undefined when the frame is not a readable hello.
 */
export function peekHelloVersion(bytes: Uint8Array): number | undefined {
  if (peekKindCode(bytes) !== CONTROL_CODES.hello) return undefined;
  const version = peekFields(bytes, 64 * 1024)?.protocolVersion;
  return typeof version === 'number' && Number.isSafeInteger(version) ? version : undefined;
}

/** Versions this build speaks. One today; a range once a second version exists. */
export function supportsProtocolVersion(version: number): boolean {
  return version === PROTOCOL_VERSION;
}

/**
 * A hand-driven WebSocket peer for refusal tests: it sends exactly the frames it is given (hellos with any
 * credential or version, frames out of order, corrupt or oversized ones) and reports the refusal and close code.
 */
import { WebSocket } from 'ws';
import {
  PROTOCOL_VERSION,
  decodeControl,
  encodeControl,
  type ControlMessage,
  type RefusalMessage,
} from '../../src/protocol/index.js';

export function helloFrame(clientId: string, token: string, protocolVersion = PROTOCOL_VERSION): Uint8Array {
  return encodeControl({
    type: 'hello',
    protocolVersion,
    clientId,
    token,
    capabilities: { tasks: ['fit'], maxFrameBytes: 1 << 20, runtime: 'test' },
  });
}

export interface TlsPeerOptions {
  /** CA certificate to trust for wss:// URLs. */
  readonly ca?: Buffer;
  /** Client certificate and key (PEM) for mutual TLS. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface RawOptions extends TlsPeerOptions {
  /** Send the first frame (a hello), wait for the welcome, then send the rest. */
  readonly welcomed?: boolean;
}

/** An open connection: the control messages it received, and promises for its welcome and its close code. */
export interface OpenPeer {
  readonly socket: WebSocket;
  readonly received: ControlMessage[];
  readonly welcomed: Promise<void>;
  readonly closed: Promise<number>;
  refusal(): RefusalMessage | undefined;
}

export async function openPeer(url: string, options: TlsPeerOptions = {}): Promise<OpenPeer> {
  const { ca, cert, key } = options;
  const socket = new WebSocket(url, { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) });
  const received: ControlMessage[] = [];
  let welcome: () => void = () => {};
  const welcomed = new Promise<void>((r) => (welcome = r));
  socket.on('message', (data: Buffer) => {
    let message;
    try {
      message = decodeControl(new Uint8Array(data));
    } catch {
      return; // a task frame: this peer never runs tasks
    }
    received.push(message);
    if (message.type === 'welcome') welcome();
  });
  const closed = new Promise<number>((r) => socket.once('close', (c: number) => r(c)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const refusal = () => received.find((m): m is RefusalMessage => m.type === 'refusal');
  return { socket, received, welcomed, closed, refusal };
}

export async function rawPeer(
  url: string,
  frames: readonly (Uint8Array | string)[],
  options: RawOptions = {},
): Promise<{ refusal?: RefusalMessage; code: number }> {
  const peer = await openPeer(url, options);
  const [first, ...rest] = frames;
  peer.socket.send(first!);
  if (options.welcomed) await peer.welcomed;
  for (const f of rest) peer.socket.send(f);
  const code = await peer.closed;
  const refusal = peer.refusal();
  return { ...(refusal ? { refusal } : {}), code };
}

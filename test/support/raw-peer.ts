/**
 * A hand-driven WebSocket peer for refusal tests: it sends exactly the frames it is given (hellos with any
 * credential or version, frames out of order, corrupt or oversized ones) and reports the refusal and close code.
 */
import { WebSocket } from 'ws';
import {
  PROTOCOL_VERSION,
  decodeControl,
  encodeControl,
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

export interface RawOptions {
  /** Send the first frame (a hello), wait for the welcome, then send the rest. */
  readonly welcomed?: boolean;
  /** CA certificate to trust for wss:// URLs. */
  readonly ca?: Buffer;
}

export async function rawPeer(
  url: string,
  frames: readonly (Uint8Array | string)[],
  options: RawOptions = {},
): Promise<{ refusal?: RefusalMessage; code: number }> {
  const socket = new WebSocket(url, options.ca ? { ca: options.ca } : {});
  let refusal: RefusalMessage | undefined;
  let welcome: () => void = () => {};
  const welcomed = new Promise<void>((r) => (welcome = r));
  socket.on('message', (data: Buffer) => {
    let message;
    try {
      message = decodeControl(new Uint8Array(data));
    } catch {
      return; // a task frame: this peer never runs tasks
    }
    if (message.type === 'refusal') refusal = message;
    if (message.type === 'welcome') welcome();
  });
  const closed = new Promise<number>((r) => socket.once('close', (c: number) => r(c)));
  await new Promise((r) => socket.once('open', r));
  const [first, ...rest] = frames;
  socket.send(first!);
  if (options.welcomed) await welcomed;
  for (const f of rest) socket.send(f);
  const code = await closed;
  return { ...(refusal ? { refusal } : {}), code };
}

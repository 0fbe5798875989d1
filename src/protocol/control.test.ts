import { describe, expect, it } from 'vitest';
import { ParameterSet, isFlotillaError } from '../core/index.js';
import { ByteBudget, CHUNK_HEADER_BYTES, Reassembler, isChunk, splitFrame } from './chunk.js';
import { decodeMessage, encodeMessage } from './codec.js';
import {
  decodeControl,
  encodeControl,
  isControlFrame,
  peekHelloVersion,
  type HelloMessage,
} from './control.js';
import { PROTOCOL_VERSION } from './messages.js';

const hello: HelloMessage = {
  type: 'hello',
  protocolVersion: PROTOCOL_VERSION,
  clientId: 'hospital-a',
  token: 'secret',
  capabilities: { tasks: ['fit', 'evaluate'], maxFrameBytes: 1 << 20, runtime: 'node' },
};

/**
 * Replaces `from` by `to` (same length) in the frame's bytes, leaving the binary preamble intact: one character per
 * byte both ways (no Buffer, so this runs in the browser project too).
 */
function patch(frame: Uint8Array, from: string, to: string): Uint8Array {
  const text = String.fromCharCode(...frame);
  return Uint8Array.from(text.replace(from, to), (c) => c.charCodeAt(0));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isFlotillaError(error) ? error.code : 'not-typed';
  }
  return undefined;
}

describe('control messages', () => {
  it('round-trips every control message and keeps them apart from task messages', () => {
    const messages = [
      hello,
      {
        type: 'welcome',
        protocolVersion: 1,
        sessionId: 's1',
        heartbeatMs: 1000,
        heartbeatTimeoutMs: 5000,
        maxFrameBytes: 4096,
        maxMessageBytes: 1 << 20,
      },
      { type: 'ping', seq: 3 },
      { type: 'pong', seq: 3 },
      { type: 'refusal', code: 'AUTH_FAILED', message: 'unknown client', retryable: false },
    ] as const;
    for (const message of messages) {
      const frame = encodeControl(message);
      expect(isControlFrame(frame)).toBe(true);
      expect(decodeControl(frame)).toEqual(message);
      expect(codeOf(() => decodeMessage(frame))).toBe('CODEC_CORRUPT');
    }
    const task = encodeMessage({
      type: 'task-failed',
      round: 1,
      taskId: 't',
      code: 'X',
      message: '',
    });
    expect(isControlFrame(task)).toBe(false);
    expect(codeOf(() => decodeControl(task))).toBe('MESSAGE_INVALID');
  });

  it('validates fields on both sides', () => {
    expect(codeOf(() => encodeControl({ ...hello, clientId: 'a b' }))).toBe('INVALID_ARGUMENT');
    const frame = encodeControl(hello);
    expect(codeOf(() => decodeControl(patch(frame, 'hospital-a', 'hospital/a')))).toBe('MESSAGE_INVALID');
  });

  it('reads the version of a hello whose fields a newer version changed', () => {
    const frame = encodeControl({ ...hello, protocolVersion: 7 });
    const changed = patch(frame, '"runtime"', '"runtimf"');
    expect(codeOf(() => decodeControl(changed))).toBe('MESSAGE_INVALID');
    expect(peekHelloVersion(changed)).toBe(7);
    expect(peekHelloVersion(encodeControl({ type: 'ping', seq: 1 }))).toBeUndefined();
    expect(peekHelloVersion(new Uint8Array(3))).toBeUndefined();
  });
});

describe('chunking', () => {
  const frame = encodeMessage({
    type: 'fit-result',
    round: 1,
    taskId: 't',
    numExamples: 3,
    localSteps: 1,
    metrics: {},
    update: ParameterSet.fromTensors([
      { name: 'w', shape: [1000], values: new Float32Array(1000).fill(0.5) },
    ]),
  });

  it('splits a large frame and reassembles it exactly; small frames pass whole', () => {
    expect(splitFrame(frame, frame.byteLength, 1)).toEqual([frame]);
    const chunks = splitFrame(frame, 1000, 9);
    expect(chunks.length).toBe(Math.ceil(frame.byteLength / 976));
    expect(chunks.every((c) => c.byteLength <= 1000 && isChunk(c))).toBe(true);
    const r = new Reassembler(1 << 20);
    const out = chunks.map((c) => r.add(c));
    expect(out.slice(0, -1).every((x) => x === undefined)).toBe(true);
    expect(out.at(-1)).toEqual(frame);
    expect(r.bufferedBytes).toBe(0);
  });

  it('refuses a message above the cap before buffering it', () => {
    const r = new Reassembler(2048);
    expect(codeOf(() => r.add(splitFrame(frame, 1000, 1)[0]!))).toBe('CODEC_OVERSIZED');
    expect(r.bufferedBytes).toBe(0);
  });

  it('refuses chunks out of order, from another message, or with a lying total', () => {
    const chunks = splitFrame(frame, 1000, 1);
    const r = new Reassembler(1 << 20);
    expect(codeOf(() => r.add(chunks[1]!))).toBe('CODEC_CORRUPT');
    r.add(chunks[0]!);
    expect(codeOf(() => r.add(chunks[2]!))).toBe('CODEC_CORRUPT');
    expect(r.bufferedBytes).toBe(0);
    r.add(chunks[0]!);
    expect(codeOf(() => r.add(splitFrame(frame, 1000, 2)[1]!))).toBe('CODEC_CORRUPT');
    const lying = chunks[0]!.slice();
    new DataView(lying.buffer).setUint32(20, 10, true);
    expect(codeOf(() => new Reassembler(1 << 20).add(lying))).toBe('CODEC_CORRUPT');
    expect(codeOf(() => new Reassembler(1 << 20).add(new Uint8Array(10)))).toBe('CODEC_CORRUPT');
  });

  /** The first chunk of a message declaring `total` bytes in `count` chunks, carrying `data` bytes. */
  function firstChunk(total: number, count: number, data: number, messageId = 1): Uint8Array {
    const chunk = new Uint8Array(CHUNK_HEADER_BYTES + data);
    const view = new DataView(chunk.buffer);
    chunk.set([0x46, 0x4c, 0x54, 0x43]);
    view.setUint16(4, 1, true);
    view.setUint32(8, messageId, true);
    view.setUint32(12, 0, true);
    view.setUint32(16, count, true);
    view.setUint32(20, total, true);
    return chunk;
  }

  it('holds what arrived, not what a header declares, and grows as chunks come', () => {
    const budget = new ByteBudget(1 << 30);
    const r = new Reassembler(1 << 30, budget);
    r.add(firstChunk(268_435_456, 2, 1));
    expect(r.bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(budget.used).toBe(r.bufferedBytes);
    // A whole message still comes out exactly, through several doublings.
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const r2 = new Reassembler(1 << 20, budget);
    const out = splitFrame(big, 10_000, 7)
      .map((c) => r2.add(c))
      .at(-1)!;
    expect(out.length === big.length && out.every((v, i) => v === big[i])).toBe(true);
    expect(budget.used).toBe(r.bufferedBytes);
    r.reset();
    expect(budget.used).toBe(0);
  });

  it('refuses, as retryable, a message the shared budget has no room for, and frees what it held', () => {
    const budget = new ByteBudget(100_000);
    const a = new Reassembler(1 << 20, budget);
    const b = new Reassembler(1 << 20, budget);
    a.add(firstChunk(200_000, 4, 50_000, 1));
    let error: unknown;
    try {
      b.add(firstChunk(200_000, 4, 60_000, 2));
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'CODEC_OVERSIZED', details: { shared: true } });
    expect(b.bufferedBytes).toBe(0);
    expect(budget.used).toBe(a.bufferedBytes);
  });
});

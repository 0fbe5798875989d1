/**
 * The coordinator's network front under hostile peers, on a real TLS server in this process: what a peer can make it
 * hold before authenticating, how long a connection that says nothing may stay, how many unauthenticated ones may be
 * open, and what reaches its log when a hello carries a token it should not echo.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_HEADER_BYTES, CONTROL_CODES } from '../src/protocol/index.js';
import { frameWithHeader } from '../src/protocol/fuzz-corpus.js';
import { startFront, type Front } from './support/front.js';
import { waitFor } from './support/federation.js';
import { helloFrame, openPeer, rawPeer } from './support/raw-peer.js';

let front: Front | undefined;
afterEach(async () => {
  await front?.stop();
  front = undefined;
});

/** Generous: the machine is shared; each wait ends on an event well before this. */
const BOUND_MS = 20_000;

/** A chunk of a message declaring `total` bytes in `count` chunks, carrying `data` bytes. */
function chunk(total: number, count: number, index: number, data: number): Uint8Array {
  const bytes = new Uint8Array(CHUNK_HEADER_BYTES + data);
  const view = new DataView(bytes.buffer);
  bytes.set([0x46, 0x4c, 0x54, 0x43]);
  view.setUint16(4, 1, true);
  view.setUint32(8, 1, true);
  view.setUint32(12, index, true);
  view.setUint32(16, count, true);
  view.setUint32(20, total, true);
  return bytes;
}

/** Resolves when `socket` closes, rejects after BOUND_MS. */
function closeOf(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server kept the socket open')), BOUND_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => undefined); // a reset is a close too
  });
}

describe('memory before and after authentication', () => {
  it('refuses chunked messages and large messages before the hello, holding nothing for them', async () => {
    const f = (front = await startFront(['a']));
    // The attack: 16 connections, each with one 25-byte chunk header declaring 256 MiB, before any hello.
    const refusals = await Promise.all(
      Array.from({ length: 16 }, () => rawPeer(f.url, [chunk(268_435_456, 2, 0, 1)], { ca: f.ca })),
    );
    for (const r of refusals) {
      expect(r.refusal?.code).toBe('HANDSHAKE_REQUIRED');
      expect(r.refusal?.message).toMatch(/chunked message arrived before the welcome/);
      expect(r.code).toBe(1008);
    }
    expect(f.server.pool.reassemblyBytes).toBe(0);

    const big = await rawPeer(f.url, [new Uint8Array(64 * 1024 + 1)], { ca: f.ca });
    expect(big.refusal?.code).toBe('OVERSIZED');
    expect(big.refusal?.message).toMatch(
      /^a message of 65537 bytes before the welcome; a hello is at most 65536$/,
    );
    // A message far larger than a hello is cut off as its bytes arrive, before the WebSocket library has all of it.
    const huge = await rawPeer(f.url, [new Uint8Array(8 * 1024 * 1024)], { ca: f.ca });
    expect(huge.refusal?.code).toBe('OVERSIZED');
    expect(huge.refusal?.message).toMatch(/^more than 131072 bytes arrived before the welcome/);
  });

  it('after the welcome, holds what arrived rather than what a chunk declares, under a global cap', async () => {
    const f = (front = await startFront(['a'], { limits: { maxReassemblyBytes: 256 * 1024 } }));
    const peer = await openPeer(f.url, { ca: f.ca });
    peer.socket.send(helloFrame('a', f.clients.a!.token));
    await peer.welcomed;
    peer.socket.send(chunk(268_435_456, 4, 0, 100_000));
    await waitFor(() => f.server.pool.reassemblyBytes > 0, BOUND_MS, 'the first chunk to arrive');
    expect(f.server.pool.reassemblyBytes).toBeLessThanOrEqual(128 * 1024);
    // Growing past the server's cap on bytes held for incomplete messages: refused, may retry later.
    peer.socket.send(chunk(268_435_456, 4, 1, 100_000));
    peer.socket.send(chunk(268_435_456, 4, 2, 100_000));
    expect(await peer.closed).toBe(1008);
    expect(peer.refusal()).toMatchObject({ code: 'OVERSIZED', retryable: true });
    expect(peer.refusal()?.message).toMatch(/incomplete messages already hold/);
    expect(f.server.pool.reassemblyBytes).toBe(0);
  });
});

describe('connections that say nothing', () => {
  const limits = { handshakeTimeoutMs: 300, idleTimeoutMs: 300, heartbeatMs: 100 };

  it('closes a silent TCP socket, a TLS socket without a request, slow headers and a WebSocket without a hello', async () => {
    const f = (front = await startFront(['a'], { limits }));
    const silentTcp = tcpConnect(f.port, '127.0.0.1');
    const silentTls = tlsConnect({ port: f.port, host: '127.0.0.1', ca: f.ca });
    await new Promise((r) => silentTls.once('secureConnect', r));
    const slowHeaders = tlsConnect({ port: f.port, host: '127.0.0.1', ca: f.ca });
    await new Promise((r) => slowHeaders.once('secureConnect', r));
    slowHeaders.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const mute = await openPeer(f.url, { ca: f.ca });
    await Promise.all([closeOf(silentTcp), closeOf(silentTls), closeOf(slowHeaders)]);
    expect(await mute.closed).toBe(1008);
    expect(mute.refusal()).toMatchObject({ code: 'HANDSHAKE_REQUIRED' });
  });

  it('keeps an authenticated WebSocket open well past those timeouts', async () => {
    const f = (front = await startFront(['a'], { limits }));
    const peer = await openPeer(f.url, { ca: f.ca });
    peer.socket.send(helloFrame('a', f.clients.a!.token));
    await peer.welcomed;
    let open = true;
    void peer.closed.then(() => (open = false));
    // 20 server pings at 100 ms: more than six times both timeouts.
    await waitFor(() => peer.received.filter((m) => m.type === 'ping').length >= 20, BOUND_MS, 'pings');
    expect(open).toBe(true);
    peer.socket.close();
  });
});

describe('the cap on unauthenticated connections', () => {
  it('closes connections beyond the cap at once; authenticated clients do not count', async () => {
    const f = (front = await startFront(['a'], {
      limits: { maxUnauthenticated: 3, handshakeTimeoutMs: 60_000 },
    }));
    const client = await openPeer(f.url, { ca: f.ca });
    client.socket.send(helloFrame('a', f.clients.a!.token));
    await client.welcomed;
    await waitFor(() => f.server.gate.unauthenticated === 0, BOUND_MS, 'the client to stop counting');

    const waiting = [0, 1, 2].map(() => tcpConnect(f.port, '127.0.0.1'));
    let earlyClosed = 0;
    for (const s of waiting) s.once('close', () => earlyClosed++);
    await waitFor(() => f.server.gate.unauthenticated === 3, BOUND_MS, 'three connections to count');
    const extra = tcpConnect(f.port, '127.0.0.1');
    await closeOf(extra);
    expect(f.server.gate.refused).toBe(1);
    expect(earlyClosed).toBe(0);
    expect(f.server.gate.unauthenticated).toBe(3);
    for (const s of waiting) s.destroy();
    client.socket.close();
  });
});

describe('token material never reaches the log', () => {
  it('logs refusals of an over-long token and of a broken hello without any part of the token', async () => {
    const f = (front = await startFront(['a']));
    const longToken = `tok-${'Zq7Wv3Kp'.repeat(80)}`; // over the 512-character limit
    const brokenToken = 'tok-Hx9Lm2Rb8Tc4Vn6Yd1Fg';
    const broken = frameWithHeader(
      // Unquoted: V8's JSON.parse quotes the text around an unexpected token in its message.
      `{"fields":{"protocolVersion":1,"clientId":"a","token":${brokenToken},"capabilities":{}},"sets":[]}`,
      CONTROL_CODES.hello,
    );
    // Built by hand: the encoder would refuse the over-long token before it left.
    const long = frameWithHeader(
      JSON.stringify({
        fields: {
          protocolVersion: 1,
          clientId: 'a',
          token: longToken,
          capabilities: { tasks: ['fit'], maxFrameBytes: 1 << 20, runtime: 'test' },
        },
        sets: [],
      }),
      CONTROL_CODES.hello,
    );
    const results = [
      await rawPeer(f.url, [long], { ca: f.ca }),
      await rawPeer(f.url, [broken], { ca: f.ca }),
    ];
    expect(results.map((r) => r.refusal?.code)).toEqual(['MESSAGE_INVALID', 'MESSAGE_INVALID']);
    await waitFor(
      () => f.logs.filter((e) => e.event === 'refused').length >= 2,
      BOUND_MS,
      'the refusals to be logged',
    );
    const logged = JSON.stringify(f.logs) + JSON.stringify(results);
    for (const token of [longToken, brokenToken]) {
      for (let i = 0; i + 8 <= token.length; i++) expect(logged).not.toContain(token.slice(i, i + 8));
    }
  });
});

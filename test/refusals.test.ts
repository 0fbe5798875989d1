/**
 * Refused without harm, through the real TLS server process: bad credentials, a wrong protocol version, frames out
 * of order, corrupt or oversized frames each get a typed refusal and a closed connection, the server logs them, and
 * it then serves an honest client process through a complete run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ParameterSet } from '../src/core/index.js';
import { PROTOCOL_VERSION, encodeMessage } from '../src/protocol/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { prepareFederation, waitFor, type Federation } from './support/federation.js';
import { helloFrame, rawPeer } from './support/raw-peer.js';

let federation: Federation | undefined;
afterEach(async () => {
  await federation?.stop();
  federation = undefined;
});

describe('the server process refuses bad peers', () => {
  it('refuses each with a typed refusal, logs it, and still completes a run with an honest client', async () => {
    const f = (federation = await prepareFederation(2, 200));
    const storage = SqliteStorage.open(f.db);
    const revoked = (await storage.addClient('revoked')).token;
    await storage.revokeClient('revoked');
    await storage.close();
    const site = f.sites[0]!;
    // Two clients must connect before a round starts, so no task reaches the hand-driven peers.
    const server = f.startServer(['--rounds', '2', '--min-clients', '2', '--max-frame-bytes', '65536']);
    await waitFor(() => server.output.includes('"event":"waiting"'), 60_000, 'the server to listen');
    const ca = readFileSync(join(f.tlsDir, 'ca.crt'));

    const fitResult = encodeMessage({
      type: 'fit-result',
      round: 1,
      taskId: '1.1.0',
      numExamples: 1,
      localSteps: 1,
      metrics: {},
      update: ParameterSet.fromTensors([{ name: 'w', shape: [4], values: new Float32Array(4) }]),
    });
    const corrupt = new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 9, 9, 9, 9]);
    const before: [string, Uint8Array, string][] = [
      ['no credential', helloFrame(site.id, ''), 'AUTH_FAILED'],
      ['wrong credential', helloFrame(site.id, 'not-the-token'), 'AUTH_FAILED'],
      ['revoked credential', helloFrame('revoked', revoked), 'AUTH_FAILED'],
      ['wrong protocol version', helloFrame(site.id, site.token, PROTOCOL_VERSION + 1), 'PROTOCOL_VERSION'],
      ['message before the handshake', fitResult, 'HANDSHAKE_REQUIRED'],
      ['corrupt frame', corrupt, 'HANDSHAKE_REQUIRED'],
    ];
    for (const [name, frame, code] of before) {
      const result = await rawPeer(f.url, [frame], { ca });
      expect(result.refusal?.code, name).toBe(code);
      expect(result.code, name).toBe(1008);
    }
    // After a good handshake: a result for a task it was not given, a corrupt frame, an oversized frame.
    const after: [string, Uint8Array, string | undefined, number][] = [
      ['result for a task not given', fitResult, 'UNEXPECTED_RESULT', 1008],
      [
        'corrupt frame',
        new Uint8Array([0x46, 0x4c, 0x54, 0x4c, 1, 0, 1, 0, 255, 255, 0, 0, 0, 0, 0, 0, 1]),
        'MESSAGE_INVALID',
        1008,
      ],
      ['oversized frame', new Uint8Array(128 * 1024), undefined, 1009],
    ];
    for (const [name, frame, code, closeCode] of after) {
      const result = await rawPeer(f.url, [helloFrame(site.id, site.token), frame], { ca, welcomed: true });
      expect(result.refusal?.code, name).toBe(code);
      expect(result.code, name).toBe(closeCode);
    }
    const refusals = server.output.split('\n').filter((l) => l.includes('"event":"refused"'));
    expect(refusals.length).toBeGreaterThanOrEqual(before.length + 2);

    for (const s of f.sites) f.startClient(s);
    expect(await server.exited, server.output).toBe(0);
    expect(server.output).toContain('"status":"completed","lastRound":2');
  });
});

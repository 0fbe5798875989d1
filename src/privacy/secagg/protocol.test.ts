import { describe, expect, it } from 'vitest';
import { Rng, isFlotillaError } from '../../core/index.js';
import { SecAggClient } from './client.js';
import { resolveRoundParams, type SecAggRoundParams } from './config.js';
import { generateEd25519, randomBytes, type Ed25519KeyPair } from './crypto.js';
import {
  SERVER,
  decodeMessage,
  encodeMessage,
  type SecAggMessage,
  type UnmaskSharesMessage,
} from './messages.js';
import { quantizationErrorBound } from './quantize.js';
import { SecAggServer, type StageOutcome } from './server.js';

const QUANT = { clippingRange: 1, quantizationBits: 12, maxWeight: 64, modulusBits: 32 };

interface Round {
  readonly params: SecAggRoundParams;
  readonly clients: SecAggClient[];
  readonly server: SecAggServer;
  readonly updates: Float32Array[];
  readonly weights: number[];
}

interface RoundOptions {
  readonly dimension?: number;
  readonly round?: number;
  readonly identities?: boolean;
  /** Client index -> index of the identity it wrongly signs with. */
  readonly signAs?: ReadonlyMap<number, number>;
  readonly updates?: Float32Array[];
  readonly graphSeed?: Uint8Array;
}

async function makeRound(n: number, options: RoundOptions = {}): Promise<Round> {
  const dimension = options.dimension ?? 12;
  const params = resolveRoundParams(QUANT, {
    session: 'protocol-test',
    round: options.round ?? 7,
    n,
    dimension,
    graphSeed: options.graphSeed ?? randomBytes(32),
  });
  const rng = new Rng(11);
  const updates =
    options.updates ??
    Array.from({ length: n }, () => Float32Array.from({ length: dimension }, () => rng.normal() * 0.3));
  const weights = updates.map((_, i) => 1 + i);
  let pairs: Ed25519KeyPair[] | undefined;
  if (options.identities) pairs = await Promise.all(updates.map(() => generateEd25519()));
  const identities = pairs?.map((p) => p.publicKey);
  const clients = updates.map(
    (update, index) =>
      new SecAggClient({
        params,
        index,
        update,
        numExamples: weights[index]!,
        rng: rng.split(index),
        identityKey: pairs?.[options.signAs?.get(index) ?? index]!.privateKey,
        identities,
      }),
  );
  return { params, clients, server: new SecAggServer({ params, identities }), updates, weights };
}

type Edit = (client: number, reply: Uint8Array) => Uint8Array | undefined;

/** Stage 0: every client advertises (edit may change or withhold a reply); then the server closes the stage. */
async function advertise(r: Round, edit: Edit = (_, m) => m): Promise<StageOutcome> {
  for (const c of r.clients) {
    const reply = edit(c.index, await c.advertise());
    if (reply) await r.server.receive(c.index, reply);
  }
  return r.server.closeStage();
}

/** One later stage: each addressed client handles its message and answers; then the server closes the stage. */
async function respond(r: Round, outcome: StageOutcome, edit: Edit = (_, m) => m): Promise<StageOutcome> {
  if (outcome.kind !== 'next') throw new Error(`expected a next stage, got ${JSON.stringify(outcome)}`);
  for (const [u, message] of outcome.messages) {
    if (r.clients[u]!.phase === 'failed') continue;
    const reply = edit(u, await r.clients[u]!.handle(message));
    if (reply) await r.server.receive(u, reply);
  }
  return r.server.closeStage();
}

async function runAll(r: Round, edits: Partial<Record<0 | 1 | 2 | 3, Edit>> = {}): Promise<StageOutcome> {
  let outcome = await advertise(r, edits[0]);
  for (const stage of [1, 2, 3] as const) outcome = await respond(r, outcome, edits[stage]);
  return outcome;
}

function expectSumOf(r: Round, outcome: StageOutcome, included: readonly number[]): void {
  if (outcome.kind !== 'completed') throw new Error(`round did not complete: ${JSON.stringify(outcome)}`);
  expect(outcome.result.included).toEqual(included);
  const total = included.reduce((s, u) => s + r.weights[u]!, 0);
  expect(outcome.result.weightTotal).toBe(total);
  const bound = quantizationErrorBound(total, QUANT) + 1e-3;
  for (let i = 0; i < r.params.dimension; i++) {
    const plain = included.reduce(
      (s, u) => s + r.weights[u]! * Math.max(-1, Math.min(1, r.updates[u]![i]!)),
      0,
    );
    expect(Math.abs(outcome.result.weightedSum[i]! - plain)).toBeLessThanOrEqual(bound);
  }
}

const all = (n: number, except: readonly number[] = []): number[] =>
  Array.from({ length: n }, (_, i) => i).filter((i) => !except.includes(i));

/** Decodes, changes and re-encodes a message. */
function rewrite<M extends SecAggMessage>(bytes: Uint8Array, change: (m: M) => M): Uint8Array {
  return encodeMessage(change(decodeMessage(bytes) as M));
}

function chiSquare(counts: readonly number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('the server sees only uniform-looking masked inputs', () => {
  it("one client's masked vector passes uniformity tests its plain vector fails", async () => {
    const d = 1 << 16;
    const updates = Array.from({ length: 3 }, () => new Float32Array(d)); // constant input: the worst case
    const r = await makeRound(3, { dimension: d, updates });
    let masked: Uint32Array | undefined;
    const outcome = await runAll(r, {
      2: (u, reply) => {
        if (u === 0) masked = (decodeMessage(reply) as { values: Uint32Array }).values;
        return reply;
      },
    });
    expectSumOf(r, outcome, [0, 1, 2]);
    const histogram = (values: Uint32Array, shift: number) => {
      const counts = new Array<number>(256).fill(0);
      for (const v of values) counts[(v >>> shift) & 0xff]!++;
      return counts;
    };
    // 255 degrees of freedom: p = 0.001 at 330.5.
    for (const shift of [0, 8, 16, 24])
      expect(chiSquare(histogram(masked!, shift), d + 1)).toBeLessThan(330.5);
    const plain = new Uint32Array(d + 1).fill(2048); // what client 0 would send unmasked (zero -> mid level)
    expect(chiSquare(histogram(plain, 0), d + 1)).toBeGreaterThan(330.5);
  });
});

describe('rejections with reasons', () => {
  it('tampered share ciphertexts, or ones made for another round, fail authentication at the recipient', async () => {
    const r = await makeRound(10);
    // A round-8 ciphertext from client 0 to client 2, to be slipped into round 7.
    let foreign: Uint8Array | undefined;
    const round8 = await makeRound(10, { round: 8 });
    await respond(round8, await advertise(round8), (u, reply) => {
      if (u === 0) foreign = reply;
      return reply;
    });
    const foreignShares = (decodeMessage(foreign!) as Extract<SecAggMessage, { type: 'share-keys' }>).shares;
    const outcome = await runAll(r, {
      1: (u, reply) =>
        u !== 0
          ? reply
          : rewrite<Extract<SecAggMessage, { type: 'share-keys' }>>(reply, (m) => ({
              ...m,
              shares: m.shares.map((s) => {
                if (s.to === 1) {
                  const ciphertext = s.ciphertext.slice();
                  ciphertext[20]! ^= 1;
                  return { to: s.to, ciphertext };
                }
                if (s.to === 2)
                  return { to: 2, ciphertext: foreignShares.find((f) => f.to === 2)!.ciphertext };
                return s;
              }),
            })),
      // Client 0 then drops, so its masking key must be recovered without the two lost shares.
      2: (u, reply) => (u === 0 ? undefined : reply),
    });
    expect(r.clients[1]!.notices).toEqual([
      { stage: 2, peer: 0, reason: 'share ciphertext from client 0 failed authentication' },
    ]);
    expect(r.clients[2]!.notices[0]?.reason).toBe('share ciphertext from client 0 failed authentication');
    expectSumOf(r, outcome, all(10, [0]));
  });

  it('keys not signed by the client identity are rejected by the server and by clients', async () => {
    const r = await makeRound(10, { identities: true, signAs: new Map([[2, 3]]) });
    const directory = await advertise(r);
    expect(r.server.rejections).toEqual([
      { stage: 0, client: 2, reason: "the advertised keys are not signed by client 2's identity" },
    ]);
    expect(r.server.survivors(0)).toEqual(all(10, [2]));
    if (directory.kind !== 'next') throw new Error('expected the key directory');
    // A server (or network) that swaps a neighbour's masking key in the directory is caught by the signature.
    const forged = rewrite<Extract<SecAggMessage, { type: 'key-directory' }>>(
      directory.messages.get(4)!,
      (m) => ({
        ...m,
        entries: m.entries.map((e) => (e.index === 5 ? { ...e, maskingKey: randomBytes(32) } : e)),
      }),
    );
    await expect(r.clients[4]!.handle(forged)).rejects.toThrow(
      /the keys of client 5 are not signed by its identity/,
    );
    expect(r.clients[4]!.phase).toBe('failed');
    const outcome = await respond(r, directory, (u, reply) => (u === 4 ? undefined : reply));
    expect(outcome.kind).toBe('next');
    expect(r.server.survivors(1)).toEqual(all(10, [2, 4]));
  });

  it('replays, other rounds, other stages, wrong senders and malformed bytes are rejected', async () => {
    const r = await makeRound(10);
    const adverts = await Promise.all(r.clients.map((c) => c.advertise()));
    for (const [i, a] of adverts.entries()) expect(await r.server.receive(i, a)).toEqual({ accepted: true });
    expect(await r.server.receive(0, adverts[0]!)).toEqual({
      accepted: false,
      reason: 'replayed or repeated advertise-keys message',
    });
    const foreign = rewrite(adverts[1]!, (m) => ({ ...m, round: 6 }));
    expect((await r.server.receive(1, foreign)).accepted).toBe(false);
    expect(await r.server.receive(3, adverts[4]!)).toEqual({
      accepted: false,
      reason: 'message claims sender 4',
    });
    expect((await r.server.receive(5, adverts[5]!.subarray(0, 40))).accepted).toBe(false);
    const directory = await r.server.closeStage();
    if (directory.kind !== 'next') throw new Error('expected the key directory');
    // A stage-0 message during stage 1 is refused without costing the client its place.
    expect((await r.server.receive(6, adverts[6]!)).accepted).toBe(false);
    const message = directory.messages.get(6)!;
    const reply = await r.clients[6]!.handle(message);
    await expect(r.clients[6]!.handle(message)).rejects.toThrow(/replayed key-directory message/);
    await expect(r.clients[7]!.handle(rewrite(message, (m) => ({ ...m, round: 9 })))).rejects.toThrow(
      /for round 9 \(this is round 7\)/,
    );
    await expect(
      r.clients[7]!.handle(
        encodeMessage({
          type: 'unmask-request',
          stage: 3,
          round: 7,
          sender: SERVER,
          survivors: [7],
          dropped: [],
        }),
      ),
    ).rejects.toThrow(/unexpected unmask-request message while advertised/);
    expect(await r.server.receive(6, reply)).toEqual({ accepted: true });
    expect(r.server.rejections.map((x) => x.reason)).toEqual([
      'replayed or repeated advertise-keys message',
      'advertise-keys message for round 6 (this is round 7)',
      'message claims sender 4',
      expect.stringMatching(/secure-aggregation message: truncated/),
      'stage-0 advertise-keys message during stage 1 (share-keys)',
    ]);
  });
});

describe('one message at a time', () => {
  it('a replay racing the original is rejected, and a stage cannot close under a receive', async () => {
    const r = await makeRound(3);
    const adverts = await Promise.all(r.clients.map((c) => c.advertise()));
    const pending = r.server.receive(0, adverts[0]!);
    await expect(r.server.closeStage()).rejects.toThrow(/while messages are still being received/);
    expect(await pending).toEqual({ accepted: true });
    for (const i of [1, 2]) await r.server.receive(i, adverts[i]!);
    const directory = await r.server.closeStage();
    if (directory.kind !== 'next') throw new Error('expected the key directory');
    const message = directory.messages.get(1)!;
    const [first, second] = await Promise.allSettled([
      r.clients[1]!.handle(message),
      r.clients[1]!.handle(message),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' && String(second.reason)).toMatch(
      /while the previous one is still being handled/,
    );
  });
});

describe('no code path unmasks a single client', () => {
  it('a client asked for both secrets of one client refuses, and answers nothing more', async () => {
    const r = await makeRound(10);
    let outcome = await advertise(r);
    outcome = await respond(r, outcome);
    outcome = await respond(r, outcome, (u, reply) => (u === 1 ? undefined : reply)); // 1 drops before masking
    if (outcome.kind !== 'next') throw new Error('expected unmask requests');
    const both = encodeMessage({
      type: 'unmask-request',
      stage: 3,
      round: 7,
      sender: SERVER,
      survivors: all(10, [1]),
      dropped: [1, 2],
    });
    await expect(r.clients[0]!.handle(both)).rejects.toSatisfy(
      (e: unknown) =>
        isFlotillaError(e, 'SECAGG_REFUSED') && /both secrets of client 2/.test((e as Error).message),
    );
    await expect(r.clients[0]!.handle(outcome.messages.get(0)!)).rejects.toThrow(
      /after the client's round ended/,
    );
    const request = decodeMessage(outcome.messages.get(3)!) as Extract<
      SecAggMessage,
      { type: 'unmask-request' }
    >;
    expect(request.dropped).toEqual([1]);
    expect(request.survivors).not.toContain(1);
  });

  it('the server refuses a share of a secret it must never learn, and drops inconsistent shares', async () => {
    const r = await makeRound(10);
    const outcome = await runAll(r, {
      2: (u, reply) => (u === 9 ? undefined : reply),
      3: (u, reply) => {
        if (u === 0) {
          // Client 0 also offers its share of survivor 1's masking key: both secrets of 1 would then be in reach.
          return rewrite<UnmaskSharesMessage>(reply, (m) => ({
            ...m,
            maskKeyShares: [...m.maskKeyShares, { of: 1, share: new Uint8Array(33) }],
          }));
        }
        if (u === 3) {
          // Client 3 sends a wrong (well-formed) share of client 5's self-mask seed.
          return rewrite<UnmaskSharesMessage>(reply, (m) => ({
            ...m,
            selfMaskShares: m.selfMaskShares.map((s) => {
              if (s.of !== 5) return s;
              const share = s.share.slice();
              share[32]! ^= 0x55;
              return { of: s.of, share };
            }),
          }));
        }
        return reply;
      },
    });
    expect(r.server.rejections).toEqual([
      {
        stage: 3,
        client: 0,
        reason: "a share of client 1's masking key must never be revealed (it would unmask the client)",
      },
      {
        stage: 3,
        client: 3,
        reason: "dropped: its share of client 5's self-mask seed is inconsistent with the others",
      },
    ]);
    expectSumOf(r, outcome, all(10, [9]));
  });
});

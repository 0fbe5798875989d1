/**
 * The client side of SecAgg+ as a state machine driven by the server's messages:
 *
 *   created --advertise()--> advertised --key-directory--> shared --forwarded-shares--> masked --unmask-request-->
 *   finished
 *
 * A message for another round, from someone other than the server, replayed, or out of order is rejected
 * (SECAGG_REJECTED) and leaves the state unchanged. A request the client must not serve (a key directory whose
 * signatures do not verify, too few group members to stay above the threshold, an unmask request naming one client both
 * as survivor and as dropped) is refused (SECAGG_REFUSED) and ends the client's round: it answers nothing more.
 */
import { FlotillaError, bytesEqual, require as ensure, type Rng } from '../../core/index.js';
import type { SecAggRoundParams } from './config.js';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  concatBytes,
  ed25519Sign,
  ed25519Verify,
  generateX25519,
  randomBytes,
  type X25519KeyPair,
} from './crypto.js';
import {
  advertisementPayload,
  commitSelfMask,
  maskSign,
  pairwiseSeed,
  roundContext,
  shareAad,
  shareKey,
  shareNonce,
} from './context.js';
import { buildMaskingGraph, type MaskingGraph } from './graph.js';
import {
  SERVER,
  SHARE_PLAINTEXT_BYTES,
  decodeMessage,
  encodeMessage,
  type AdvertisedKeys,
  type ForwardedSharesMessage,
  type KeyDirectoryMessage,
  type SecAggMessage,
  type UnmaskRequestMessage,
} from './messages.js';
import { applyMasks, reduceModulo } from './prg.js';
import { clientWeight, quantize } from './quantize.js';
import { SECRET_BYTES, SHARE_BYTES, decodeShare, encodeShare, split } from './shamir.js';

export interface SecAggClientOptions {
  readonly params: SecAggRoundParams;
  /** This client's index in the round, 0..n-1. */
  readonly index: number;
  /** The update to aggregate (d values; a ParameterSet's flat data). */
  readonly update: Float32Array;
  /** Example count; the weight is this capped at params.maxWeight. */
  readonly numExamples: number;
  /** Randomness for stochastic rounding (not secret: the server only sees the masked sum). */
  readonly rng: Rng;
  /** This client's Ed25519 identity key: signs its advertised keys. Required when `identities` is given. */
  readonly identityKey?: CryptoKey;
  /** Ed25519 public keys of the round's clients by index; when given, every neighbour's keys must be signed. */
  readonly identities?: readonly Uint8Array[];
}

export type ClientPhase = 'created' | 'advertised' | 'shared' | 'masked' | 'finished' | 'failed';

/** Something the client noticed and worked around (it keeps going), for logs. */
export interface ClientNotice {
  readonly stage: number;
  readonly peer: number;
  readonly reason: string;
}

interface Neighbour {
  readonly keys: AdvertisedKeys;
  readonly shareKey: CryptoKey;
}

const EXPECTED: Partial<Record<ClientPhase, SecAggMessage['type']>> = {
  advertised: 'key-directory',
  shared: 'forwarded-shares',
  masked: 'unmask-request',
};
const ORDER: readonly SecAggMessage['type'][] = ['key-directory', 'forwarded-shares', 'unmask-request'];

export class SecAggClient {
  readonly index: number;
  readonly notices: ClientNotice[] = [];
  private phaseValue: ClientPhase = 'created';
  private busy = false;
  private readonly params: SecAggRoundParams;
  private readonly options: SecAggClientOptions;
  private readonly context: Uint8Array;
  private graph: MaskingGraph | undefined;
  private encryptionPair: X25519KeyPair | undefined;
  private maskingPair: X25519KeyPair | undefined;
  private selfMaskSeed: Uint8Array | undefined;
  private readonly neighbours = new Map<number, Neighbour>();
  /** Shares this client holds: of client j's self-mask seed and masking key (its own included). */
  private readonly heldSelfMask = new Map<number, Uint8Array>();
  private readonly heldMaskKey = new Map<number, Uint8Array>();
  /** Neighbours that shared keys (U2 from this client's view): the pairwise masks it applied. */
  private sharers: readonly number[] = [];

  constructor(options: SecAggClientOptions) {
    const { params, index, update, numExamples, identities } = options;
    ensure(
      Number.isSafeInteger(index) && index >= 0 && index < params.n,
      `client index must be in [0, ${params.n}), got ${index}`,
    );
    ensure(
      update.length === params.dimension,
      `the update has ${update.length} values, the round aggregates ${params.dimension}`,
    );
    const bad = update.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new FlotillaError('NON_FINITE', `update value at index ${bad} is not finite (${update[bad]})`);
    }
    ensure(Number.isFinite(numExamples) && numExamples >= 0, `numExamples must be >= 0, got ${numExamples}`);
    ensure(
      !identities || (identities.length === params.n && options.identityKey !== undefined),
      'identities must list n public keys, and the client then needs its identity key',
    );
    this.index = index;
    this.params = params;
    this.options = options;
    this.context = roundContext(params);
  }

  get phase(): ClientPhase {
    return this.phaseValue;
  }

  /** Stage 0: fresh key pairs and self-mask seed for this round; returns the advertise-keys message. */
  async advertise(): Promise<Uint8Array> {
    if (this.phaseValue !== 'created') throw this.reject(`advertise() was already called`);
    this.graph = await buildMaskingGraph(this.params.n, this.params.neighbours, this.params.graphSeed);
    this.encryptionPair = await generateX25519();
    this.maskingPair = await generateX25519();
    this.selfMaskSeed = randomBytes(SECRET_BYTES);
    const keys = {
      encryptionKey: this.encryptionPair.publicKey,
      maskingKey: this.maskingPair.publicKey,
      selfMaskCommitment: await commitSelfMask(this.context, this.selfMaskSeed),
    };
    const signature = this.options.identityKey
      ? await ed25519Sign(
          this.options.identityKey,
          advertisementPayload(this.context, this.index, { ...keys, signature: new Uint8Array() }),
        )
      : new Uint8Array();
    this.phaseValue = 'advertised';
    return encodeMessage({
      type: 'advertise-keys',
      stage: 0,
      round: this.params.round,
      sender: this.index,
      ...keys,
      signature,
    });
  }

  /**
   * Handles the server's message for the next stage and returns this client's reply. One message at a time: a
   * message arriving while another is handled is rejected, so a replay can never be answered twice.
   */
  async handle(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.busy) throw this.reject('a message arrived while the previous one is still being handled');
    this.busy = true;
    try {
      return await this.dispatch(bytes);
    } finally {
      this.busy = false;
    }
  }

  private async dispatch(bytes: Uint8Array): Promise<Uint8Array> {
    const msg = decodeMessage(bytes);
    if (msg.sender !== SERVER) throw this.reject(`a ${msg.type} message must come from the server`);
    if (msg.round !== this.params.round) {
      throw this.reject(`a ${msg.type} message for round ${msg.round} (this is round ${this.params.round})`);
    }
    if (this.phaseValue === 'failed' || this.phaseValue === 'finished') {
      throw this.reject(`a ${msg.type} message after the client's round ended (${this.phaseValue})`);
    }
    const expected = EXPECTED[this.phaseValue];
    if (msg.type !== expected) {
      const seen = expected !== undefined && ORDER.indexOf(msg.type) < ORDER.indexOf(expected);
      throw this.reject(
        seen
          ? `replayed ${msg.type} message (already handled)`
          : `unexpected ${msg.type} message while ${this.phaseValue}`,
      );
    }
    switch (msg.type) {
      case 'key-directory':
        return this.shareKeys(msg);
      case 'forwarded-shares':
        return this.maskInput(msg);
      case 'unmask-request':
        return this.unmask(msg);
      default:
        throw this.reject(`a client never receives ${msg.type} messages`);
    }
  }

  /** Stage 1: Shamir-share the self-mask seed and the masking key among the group, encrypted per neighbour. */
  private async shareKeys(msg: KeyDirectoryMessage): Promise<Uint8Array> {
    const graph = this.graph!;
    const seen = new Set<number>();
    for (const e of msg.entries) {
      if (seen.has(e.index)) throw this.reject(`key directory lists client ${e.index} twice`);
      seen.add(e.index);
      if (e.index !== this.index && !graph.areNeighbours(this.index, e.index)) {
        throw this.reject(`key directory lists client ${e.index}, which is not a neighbour`);
      }
    }
    const own = msg.entries.find((e) => e.index === this.index);
    if (
      !own ||
      !bytesEqual(own.encryptionKey, this.encryptionPair!.publicKey) ||
      !bytesEqual(own.maskingKey, this.maskingPair!.publicKey)
    ) {
      throw this.reject('key directory does not carry this client its own keys unchanged');
    }
    const others = msg.entries.filter((e) => e.index !== this.index);
    if (this.options.identities) {
      const identities = this.options.identities;
      const verified = await Promise.all(
        others.map(
          async (e) =>
            e.signature.length > 0 &&
            (await ed25519Verify(
              identities[e.index]!,
              e.signature,
              advertisementPayload(this.context, e.index, e),
            )),
        ),
      );
      const forged = others.find((_, i) => !verified[i]);
      if (forged) {
        throw this.refuse(
          'SECAGG_REJECTED',
          `the keys of client ${forged.index} are not signed by its identity`,
        );
      }
    }
    this.requireGroup(msg.entries.length, 'advertised keys');
    const xs = msg.entries.map((e) => e.index + 1);
    const t = this.params.threshold;
    const selfMaskShares = split(this.selfMaskSeed!, t, xs);
    const maskKeyShares = split(this.maskingPair!.secret, t, xs);
    const self = msg.entries.indexOf(own);
    this.heldSelfMask.set(this.index, encodeShare(selfMaskShares[self]!.y));
    this.heldMaskKey.set(this.index, encodeShare(maskKeyShares[self]!.y));
    // Each neighbour's key agreement and encryption are independent: run them concurrently, since WebCrypto calls
    // are asynchronous and mostly latency.
    const shares = await Promise.all(
      msg.entries.flatMap((entry, i) => {
        if (entry.index === this.index) return [];
        return [
          (async () => {
            const peer = entry.index;
            const key = await shareKey(this.context, this.encryptionPair!.privateKey, entry.encryptionKey);
            this.neighbours.set(peer, { keys: entry, shareKey: key });
            const plaintext = concatBytes([
              u32(this.index),
              u32(peer),
              encodeShare(selfMaskShares[i]!.y),
              encodeShare(maskKeyShares[i]!.y),
            ]);
            const ciphertext = await aesGcmEncrypt(
              key,
              shareNonce(this.index, peer),
              shareAad(this.context, this.index, peer),
              plaintext,
            );
            return { to: peer, ciphertext };
          })(),
        ];
      }),
    );
    this.phaseValue = 'shared';
    return encodeMessage({
      type: 'share-keys',
      stage: 1,
      round: this.params.round,
      sender: this.index,
      shares,
    });
  }

  /** Stage 2: keep the shares addressed to this client, then send y = w q(x) || w + PRG(b) + sum +-PRG(s_uv). */
  private async maskInput(msg: ForwardedSharesMessage): Promise<Uint8Array> {
    const seen = new Set<number>();
    for (const { from } of msg.shares) {
      if (seen.has(from)) throw this.reject(`forwarded shares list client ${from} twice`);
      if (!this.neighbours.has(from))
        throw this.reject(`forwarded shares from client ${from}, not in the directory`);
      seen.add(from);
    }
    this.requireGroup(msg.shares.length + 1, 'clients that shared keys');
    const plaintexts = await Promise.all(
      msg.shares.map(({ from, ciphertext }) =>
        aesGcmDecrypt(
          this.neighbours.get(from)!.shareKey,
          shareNonce(from, this.index),
          shareAad(this.context, from, this.index),
          ciphertext,
        ),
      ),
    );
    msg.shares.forEach(({ from }, i) => {
      const plain = plaintexts[i];
      // A share that does not decrypt is lost, but the pairwise mask with its sender is still applied: the sender
      // masks with this client whatever happened to the ciphertext, and the masks must cancel.
      if (!plain || plain.length !== SHARE_PLAINTEXT_BYTES) {
        this.notices.push({
          stage: 2,
          peer: from,
          reason: `share ciphertext from client ${from} failed authentication`,
        });
        return;
      }
      const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
      const b = plain.slice(8, 8 + SHARE_BYTES);
      const s = plain.slice(8 + SHARE_BYTES);
      if (
        view.getUint32(0, true) !== from ||
        view.getUint32(4, true) !== this.index ||
        decodeShare(b) === undefined ||
        decodeShare(s) === undefined
      ) {
        this.notices.push({
          stage: 2,
          peer: from,
          reason: `share plaintext from client ${from} is malformed`,
        });
        return;
      }
      this.heldSelfMask.set(from, b);
      this.heldMaskKey.set(from, s);
    });
    this.sharers = [...seen].sort((a, b) => a - b);

    const { params } = this;
    const values = quantize(
      this.options.update,
      clientWeight(this.options.numExamples, params.maxWeight),
      params,
      this.options.rng,
    );
    const seeds = await Promise.all(
      this.sharers.map((peer) =>
        pairwiseSeed(this.context, this.maskingPair!.privateKey, this.neighbours.get(peer)!.keys.maskingKey),
      ),
    );
    // The self mask and every pairwise mask, several streams per pass over the vector.
    await applyMasks(values, [
      { seed: this.selfMaskSeed!, sign: 1 },
      ...seeds.map((seed, i) => ({ seed, sign: maskSign(this.index, this.sharers[i]!) })),
    ]);
    reduceModulo(values, params.modulusBits);
    this.phaseValue = 'masked';
    return encodeMessage({
      type: 'masked-input',
      stage: 2,
      round: params.round,
      sender: this.index,
      modulusBits: params.modulusBits,
      values,
    });
  }

  /** Stage 3: reveal self-mask shares of survivors and masking-key shares of dropped clients, never both for one. */
  private async unmask(msg: UnmaskRequestMessage): Promise<Uint8Array> {
    const group = new Set([this.index, ...this.sharers]);
    const survivors = new Set<number>();
    for (const j of msg.survivors) {
      if (survivors.has(j)) throw this.refuse('SECAGG_REFUSED', `unmask request lists survivor ${j} twice`);
      survivors.add(j);
    }
    const dropped = new Set<number>();
    for (const j of msg.dropped) {
      if (survivors.has(j)) {
        throw this.refuse(
          'SECAGG_REFUSED',
          `unmask request asks for both secrets of client ${j}: it would unmask it`,
        );
      }
      if (dropped.has(j))
        throw this.refuse('SECAGG_REFUSED', `unmask request lists dropped client ${j} twice`);
      dropped.add(j);
    }
    for (const j of [...survivors, ...dropped]) {
      if (!group.has(j))
        throw this.refuse('SECAGG_REFUSED', `unmask request names client ${j}, outside the group`);
    }
    if (!survivors.has(this.index)) {
      throw this.refuse('SECAGG_REFUSED', 'unmask request does not count this client among the survivors');
    }
    if (survivors.size < this.params.threshold) {
      throw this.refuse(
        'SECAGG_REFUSED',
        `unmask request names ${survivors.size} survivors in the group, below the threshold ${this.params.threshold}`,
      );
    }
    const reveal = (held: Map<number, Uint8Array>, owners: Set<number>) =>
      [...owners].filter((j) => held.has(j)).map((j) => ({ of: j, share: held.get(j)! }));
    this.phaseValue = 'finished';
    return encodeMessage({
      type: 'unmask-shares',
      stage: 3,
      round: this.params.round,
      sender: this.index,
      selfMaskShares: reveal(this.heldSelfMask, survivors),
      maskKeyShares: reveal(this.heldMaskKey, dropped),
    });
  }

  private requireGroup(size: number, what: string): void {
    if (size < this.params.threshold) {
      throw this.refuse(
        'SECAGG_REFUSED',
        `only ${size} ${what} in this client's group, below the threshold ${this.params.threshold}`,
      );
    }
  }

  private reject(reason: string): FlotillaError {
    return new FlotillaError('SECAGG_REJECTED', `client ${this.index}: ${reason}`, { client: this.index });
  }

  /** Ends this client's round: it will answer nothing more. */
  private refuse(code: 'SECAGG_REFUSED' | 'SECAGG_REJECTED', reason: string): FlotillaError {
    this.phaseValue = 'failed';
    return new FlotillaError(code, `client ${this.index}: ${reason}`, { client: this.index });
  }
}

function u32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}

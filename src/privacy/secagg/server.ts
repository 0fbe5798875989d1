/**
 * The server side of SecAgg+ as a state machine. The caller (the engine, or the simulated driver) feeds it the
 * clients' messages with `receive` and decides when a stage ends (every expected client answered, or the stage's
 * deadline passed) with `closeStage`, which returns the messages that open the next stage, the result, or an abort.
 *
 * Survivor sets: U1 advertised keys, U2 shared keys, U3 sent a masked input, U4 revealed shares. A client whose
 * message is rejected (malformed, replayed, badly signed, inconsistent with the round) is out from that stage on, with
 * the reason in `rejections`. When the clients left can no longer recover every secret the sum needs (fewer than t in
 * some group) the round aborts with the reason; an aborted round releases nothing, the masked sum is discarded.
 *
 * Never unmasking one client: after stage 2 every client of U2 is classified exactly once, as a survivor (its
 * self-mask seed may be revealed) or as dropped (its masking key may be revealed). Unmask requests follow that
 * classification and every revealed share is checked against it, so the server can never hold both secrets of a client.
 */
import { FlotillaError, bytesEqual, require as ensure } from '../../core/index.js';
import type { SecAggRoundParams } from './config.js';
import { ed25519Verify, generateX25519, importX25519Secret, x25519, x25519PublicOf } from './crypto.js';
import { advertisementPayload, commitSelfMask, maskSign, pairwiseSeed, roundContext } from './context.js';
import { buildMaskingGraph, type MaskingGraph } from './graph.js';
import {
  SERVER,
  SHARE_CIPHERTEXT_BYTES,
  STAGE_NAMES,
  decodeMessage,
  encodeMessage,
  type AdvertiseKeysMessage,
  type AdvertisedKeys,
  type MaskedInputMessage,
  type SecAggMessage,
  type ShareKeysMessage,
  type Stage,
  type UnmaskSharesMessage,
} from './messages.js';
import { addInto, applyMasks, reduceModulo } from './prg.js';
import { dequantize } from './quantize.js';
import { decodeShare, recover, type Share } from './shamir.js';

export interface SecAggServerOptions {
  readonly params: SecAggRoundParams;
  /** Ed25519 public keys of the round's clients by index; when given, advertised keys must be signed. */
  readonly identities?: readonly Uint8Array[];
}

/** A message the server refused, or a client it dropped, and why. */
export interface Rejection {
  readonly stage: Stage;
  /** The client the message came from (or claimed to). */
  readonly client: number;
  readonly reason: string;
}

export interface SecAggResult {
  /** sum over surviving clients of w_u clip(x_u), up to quantization error. */
  readonly weightedSum: Float32Array;
  /** sum of the surviving clients' weights. */
  readonly weightTotal: number;
  /** Clients whose input is in the sum (U3). */
  readonly included: readonly number[];
}

export type StageOutcome =
  | { readonly kind: 'next'; readonly stage: Stage; readonly messages: ReadonlyMap<number, Uint8Array> }
  | { readonly kind: 'completed'; readonly result: SecAggResult }
  | { readonly kind: 'aborted'; readonly stage: Stage; readonly reason: string };

export type ReceiveOutcome =
  { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

export type ServerPhase = Stage | 'completed' | 'aborted';

type SecretKind = 'self-mask seed' | 'masking key';

class Refusal extends Error {}

export class SecAggServer {
  readonly rejections: Rejection[] = [];
  private phaseValue: ServerPhase = 0;
  /** receive() calls under way, and whether closeStage() is: the two must not overlap. */
  private inFlight = 0;
  private closing = false;
  private abortReason: string | undefined;
  private readonly params: SecAggRoundParams;
  private readonly identities: readonly Uint8Array[] | undefined;
  private readonly context: Uint8Array;
  private graph: MaskingGraph | undefined;
  private probe: CryptoKey | undefined;
  /** Clients allowed in the current stage (those that completed the previous one). */
  private eligible: Set<number>;
  /** Clients whose message for the current stage was accepted. */
  private accepted = new Set<number>();
  /** Clients heard from in the current stage (accepted or rejected): a second message is a replay. */
  private heard = new Set<number>();
  /** Survivors of each completed stage: U1, U2, U3, U4. */
  private readonly completed: Set<number>[] = [];
  private readonly keys = new Map<number, AdvertisedKeys>();
  /** Stage-1 ciphertexts by recipient. */
  private readonly mailbox = new Map<number, { from: number; ciphertext: Uint8Array }[]>();
  private sum: Uint32Array | undefined;
  /** After stage 2: which one secret of each U2 client may ever be revealed. */
  private readonly revealable = new Map<number, SecretKind>();
  /** After stage 2: what each survivor was asked to reveal. */
  private readonly requests = new Map<number, { survivors: Set<number>; dropped: Set<number> }>();
  private readonly revealed = new Map<number, Share[]>();
  private readonly revealedKeys = new Map<number, Share[]>();

  constructor(options: SecAggServerOptions) {
    const { params, identities } = options;
    ensure(
      !identities || identities.length === params.n,
      `identities must list the n = ${params.n} clients' keys`,
    );
    this.params = params;
    this.identities = identities;
    this.context = roundContext(params);
    this.eligible = new Set(Array.from({ length: params.n }, (_, i) => i));
  }

  get phase(): ServerPhase {
    return this.phaseValue;
  }

  get reasonForAbort(): string | undefined {
    return this.abortReason;
  }

  /** Clients the current stage still waits for (the engine closes the stage when this is empty or at its deadline). */
  pending(): number[] {
    return [...this.eligible].filter((c) => !this.heard.has(c)).sort((a, b) => a - b);
  }

  /** Survivors of a completed stage (U1 for stage 0, ... U4 for stage 3). */
  survivors(stage: Stage): readonly number[] {
    return [...(this.completed[stage] ?? [])].sort((a, b) => a - b);
  }

  /** Takes one client message that arrived from client `from` (as authenticated by the transport). */
  async receive(from: number, bytes: Uint8Array): Promise<ReceiveOutcome> {
    if (this.closing) return this.refuse(from, 'the stage is closing', false);
    this.inFlight++;
    try {
      return await this.take(from, bytes);
    } finally {
      this.inFlight--;
    }
  }

  private async take(from: number, bytes: Uint8Array): Promise<ReceiveOutcome> {
    if (this.phaseValue === 'completed' || this.phaseValue === 'aborted') {
      return this.refuse(from, `the round is over (${this.phaseValue})`, false);
    }
    const stage = this.phaseValue;
    let msg: SecAggMessage;
    try {
      msg = decodeMessage(bytes);
    } catch (error) {
      if (error instanceof FlotillaError) return this.refuse(from, error.message, this.eligible.has(from));
      throw error;
    }
    if (msg.sender !== from)
      return this.refuse(from, `message claims sender ${msg.sender}`, this.eligible.has(from));
    if (msg.round !== this.params.round) {
      return this.refuse(
        from,
        `${msg.type} message for round ${msg.round} (this is round ${this.params.round})`,
        false,
      );
    }
    if (msg.stage !== stage) {
      return this.refuse(
        from,
        `stage-${msg.stage} ${msg.type} message during stage ${stage} (${STAGE_NAMES[stage]})`,
        false,
      );
    }
    if (!this.eligible.has(from)) {
      return this.refuse(
        from,
        `client ${from} is not in the round at stage ${stage} (dropped or never selected)`,
        false,
      );
    }
    if (this.heard.has(from)) return this.refuse(from, `replayed or repeated ${msg.type} message`, false);
    this.heard.add(from);
    try {
      switch (msg.type) {
        case 'advertise-keys':
          await this.takeKeys(msg);
          break;
        case 'share-keys':
          this.takeShares(msg);
          break;
        case 'masked-input':
          this.takeMaskedInput(msg);
          break;
        case 'unmask-shares':
          this.takeRevealedShares(msg);
          break;
        default:
          throw new Refusal(`clients do not send ${msg.type} messages`);
      }
    } catch (error) {
      if (error instanceof Refusal) return this.refuse(from, error.message, false);
      throw error;
    }
    this.accepted.add(from);
    return { accepted: true };
  }

  /** Ends the current stage: the next stage's messages, the result, or an abort with its reason. */
  async closeStage(): Promise<StageOutcome> {
    if (this.inFlight > 0 || this.closing) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        'closeStage() while messages are still being received or the stage is closing: await them first',
      );
    }
    this.closing = true;
    try {
      return await this.close();
    } finally {
      this.closing = false;
    }
  }

  private async close(): Promise<StageOutcome> {
    const stage = this.phaseValue;
    if (stage === 'completed' || stage === 'aborted') {
      throw new FlotillaError('INVALID_ARGUMENT', `closeStage() after the round ${stage}`);
    }
    const survivors = this.accepted;
    this.completed[stage] = survivors;
    this.eligible = new Set(survivors);
    this.accepted = new Set();
    this.heard = new Set();
    const shortfall = stage < 3 ? this.thresholdShortfall(stage, survivors) : undefined;
    if (shortfall) return this.abort(stage, shortfall);
    switch (stage) {
      case 0:
        return this.next(1, (u) => this.directoryFor(u));
      case 1: {
        const opened = await this.next(2, (u) => this.forwardedFor(u));
        this.mailbox.clear();
        return opened;
      }
      case 2:
        this.classify();
        return this.next(3, (u) => this.unmaskRequestFor(u));
      case 3:
        return this.finish();
    }
  }

  private refuse(client: number, reason: string, consume: boolean): ReceiveOutcome {
    if (consume) this.heard.add(client);
    const stage = typeof this.phaseValue === 'number' ? this.phaseValue : 3;
    this.rejections.push({ stage, client, reason });
    return { accepted: false, reason };
  }

  private async takeKeys(msg: AdvertiseKeysMessage): Promise<void> {
    if (this.identities) {
      const ok =
        msg.signature.length > 0 &&
        (await ed25519Verify(
          this.identities[msg.sender]!,
          msg.signature,
          advertisementPayload(this.context, msg.sender, msg),
        ));
      if (!ok) throw new Refusal(`the advertised keys are not signed by client ${msg.sender}'s identity`);
    }
    // A low-order public key would make every pairwise secret with this client public; test both keys against a
    // throwaway key of the server's (x25519 refuses an all-zero result).
    this.probe ??= (await generateX25519()).privateKey;
    for (const [name, key] of [
      ['encryption', msg.encryptionKey],
      ['masking', msg.maskingKey],
    ] as const) {
      try {
        await x25519(this.probe, key);
      } catch {
        throw new Refusal(`the ${name} key is not a usable X25519 public key`);
      }
    }
    this.graph ??= await buildMaskingGraph(this.params.n, this.params.neighbours, this.params.graphSeed);
    this.keys.set(msg.sender, msg);
  }

  private takeShares(msg: ShareKeysMessage): void {
    const expected = this.graph!.neighbours(msg.sender).filter((v) => this.eligible.has(v));
    const to = msg.shares.map((s) => s.to).sort((a, b) => a - b);
    if (to.join() !== expected.join()) {
      throw new Refusal(
        `shares must go to exactly the neighbours that advertised keys [${expected.join(', ')}], got [${to.join(', ')}]`,
      );
    }
    if (msg.shares.some((s) => s.ciphertext.length !== SHARE_CIPHERTEXT_BYTES))
      throw new Refusal('malformed ciphertext');
    for (const { to: v, ciphertext } of msg.shares) {
      const box = this.mailbox.get(v) ?? [];
      box.push({ from: msg.sender, ciphertext });
      this.mailbox.set(v, box);
    }
  }

  private takeMaskedInput(msg: MaskedInputMessage): void {
    const { modulusBits, dimension } = this.params;
    if (msg.modulusBits !== modulusBits) {
      throw new Refusal(`masked input modulo 2^${msg.modulusBits}, the round uses 2^${modulusBits}`);
    }
    if (msg.values.length !== dimension + 1) {
      throw new Refusal(`masked input has ${msg.values.length} values, expected ${dimension + 1}`);
    }
    if (modulusBits < 32) {
      const limit = 2 ** modulusBits;
      const bad = msg.values.findIndex((v) => v >= limit);
      if (bad >= 0)
        throw new Refusal(`masked value ${msg.values[bad]} at index ${bad} is not below 2^${modulusBits}`);
    }
    // Folded in at once: the server keeps one vector, whatever the number of clients (DESIGN principle 8).
    this.sum ??= new Uint32Array(dimension + 1);
    addInto(this.sum, msg.values);
  }

  private takeRevealedShares(msg: UnmaskSharesMessage): void {
    const request = this.requests.get(msg.sender)!;
    const parsed: { kind: SecretKind; of: number; y: bigint }[] = [];
    const seen = new Set<string>();
    for (const [kind, list, allowed] of [
      ['self-mask seed', msg.selfMaskShares, request.survivors],
      ['masking key', msg.maskKeyShares, request.dropped],
    ] as const) {
      for (const { of, share } of list) {
        // The invariant that keeps every client masked: only the one secret classified as revealable, ever.
        if (this.revealable.get(of) !== kind) {
          throw new Refusal(
            `a share of client ${of}'s ${kind} must never be revealed (it would unmask the client)`,
          );
        }
        if (!allowed.has(of))
          throw new Refusal(`a share of client ${of}'s ${kind} was not requested from it`);
        if (seen.has(`${kind}/${of}`)) throw new Refusal(`two shares of client ${of}'s ${kind}`);
        seen.add(`${kind}/${of}`);
        const y = decodeShare(share);
        if (y === undefined) throw new Refusal(`the share of client ${of}'s ${kind} is not a field element`);
        parsed.push({ kind, of, y });
      }
    }
    for (const { kind, of, y } of parsed) {
      const store = kind === 'self-mask seed' ? this.revealed : this.revealedKeys;
      const list = store.get(of) ?? [];
      list.push({ x: msg.sender + 1, y });
      store.set(of, list);
    }
  }

  /** Why the round cannot go on with these survivors of `stage`, or undefined when it can. */
  private thresholdShortfall(stage: Stage, survivors: Set<number>): string | undefined {
    const t = this.params.threshold;
    if (survivors.size < t) {
      return `${survivors.size} clients completed ${STAGE_NAMES[stage]}, below the threshold t = ${t}`;
    }
    for (const u of survivors) {
      const group = this.groupOf(u).filter((v) => survivors.has(v)).length;
      if (group < t) {
        return `client ${u} has ${group} group members left after ${STAGE_NAMES[stage]}, below the threshold t = ${t}`;
      }
    }
    if (stage === 2) {
      for (const v of this.completed[1]!) {
        if (survivors.has(v)) continue;
        const holders = this.graph!.neighbours(v).filter((u) => survivors.has(u));
        if (holders.length > 0 && holders.length < t) {
          return (
            `dropped client ${v} has ${holders.length} surviving neighbours to recover its masking key, ` +
            `below the threshold t = ${t}`
          );
        }
      }
    }
    return undefined;
  }

  private groupOf(u: number): number[] {
    return [u, ...this.graph!.neighbours(u)];
  }

  private async next(stage: Stage, build: (u: number) => SecAggMessage): Promise<StageOutcome> {
    const messages = new Map<number, Uint8Array>();
    for (const u of [...this.eligible].sort((a, b) => a - b)) messages.set(u, encodeMessage(build(u)));
    this.phaseValue = stage;
    return { kind: 'next', stage, messages };
  }

  private directoryFor(u: number): SecAggMessage {
    const entries = this.groupOf(u)
      .filter((v) => this.eligible.has(v))
      .sort((a, b) => a - b)
      .map((v) => ({ index: v, ...pickKeys(this.keys.get(v)!) }));
    return { type: 'key-directory', stage: 1, round: this.params.round, sender: SERVER, entries };
  }

  private forwardedFor(u: number): SecAggMessage {
    const shares = (this.mailbox.get(u) ?? []).filter((s) => this.eligible.has(s.from));
    return { type: 'forwarded-shares', stage: 2, round: this.params.round, sender: SERVER, shares };
  }

  /** Fixes, once, which secret of each U2 client may be revealed: survivors' seeds, dropped clients' keys. */
  private classify(): void {
    for (const v of this.completed[1]!) {
      this.revealable.set(v, this.eligible.has(v) ? 'self-mask seed' : 'masking key');
    }
  }

  private unmaskRequestFor(u: number): SecAggMessage {
    const group = this.groupOf(u).filter((v) => this.completed[1]!.has(v));
    const survivors = group.filter((v) => this.revealable.get(v) === 'self-mask seed').sort((a, b) => a - b);
    const dropped = group.filter((v) => this.revealable.get(v) === 'masking key').sort((a, b) => a - b);
    this.requests.set(u, { survivors: new Set(survivors), dropped: new Set(dropped) });
    return { type: 'unmask-request', stage: 3, round: this.params.round, sender: SERVER, survivors, dropped };
  }

  private async finish(): Promise<StageOutcome> {
    const t = this.params.threshold;
    const included = this.completed[2]!;
    const dropped = [...this.completed[1]!].filter(
      (v) => !included.has(v) && this.graph!.neighbours(v).some((u) => included.has(u)),
    );
    const jobs: { owner: number; kind: SecretKind; shares: Share[] }[] = [
      ...[...included].map((u) => ({
        owner: u,
        kind: 'self-mask seed' as const,
        shares: this.revealed.get(u) ?? [],
      })),
      ...dropped.map((v) => ({
        owner: v,
        kind: 'masking key' as const,
        shares: this.revealedKeys.get(v) ?? [],
      })),
    ];
    // Every secret must be recoverable before any is recovered.
    for (const job of jobs) {
      if (job.shares.length < t) {
        return this.abort(
          3,
          `${job.shares.length} shares of client ${job.owner}'s ${job.kind} arrived, below t = ${t}`,
        );
      }
    }
    const recoveries = await Promise.all(
      jobs.map((job) => {
        const committed = this.keys.get(job.owner)!;
        const verify =
          job.kind === 'self-mask seed'
            ? async (s: Uint8Array) =>
                bytesEqual(await commitSelfMask(this.context, s), committed.selfMaskCommitment)
            : async (s: Uint8Array) =>
                bytesEqual(await x25519PublicOf(await importX25519Secret(s)), committed.maskingKey);
        return recover(job.shares, t, verify);
      }),
    );
    const secrets = new Map<string, Uint8Array>();
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      const recovery = recoveries[i];
      if (!recovery) {
        return this.abort(
          3,
          `client ${job.owner}'s ${job.kind} could not be recovered from ${job.shares.length} shares ` +
            `(too many inconsistent shares, or shares that do not match what the client committed to)`,
        );
      }
      for (const x of recovery.inconsistent) {
        this.rejections.push({
          stage: 3,
          client: x - 1,
          reason: `dropped: its share of client ${job.owner}'s ${job.kind} is inconsistent with the others`,
        });
      }
      secrets.set(`${job.kind}/${job.owner}`, recovery.secret);
    }
    const sum = this.sum!;
    const selfMasks = [...included].map((u) => ({
      seed: secrets.get(`self-mask seed/${u}`)!,
      sign: -1 as const,
    }));
    // Pairwise masks of dropped clients with survivors: each survivor u applied sign(u, v) PRG(s_uv); remove it.
    const pairs = dropped.flatMap((v) =>
      this.graph!.neighbours(v)
        .filter((u) => included.has(u))
        .map((u) => ({ u, v })),
    );
    const droppedKeys = new Map(
      await Promise.all(
        dropped.map(async (v) => [v, await importX25519Secret(secrets.get(`masking key/${v}`)!)] as const),
      ),
    );
    const pairSeeds = await Promise.all(
      pairs.map(({ u, v }) => pairwiseSeed(this.context, droppedKeys.get(v)!, this.keys.get(u)!.maskingKey)),
    );
    // Every mask to remove, several streams per pass over the sum.
    await applyMasks(sum, [
      ...selfMasks,
      ...pairs.map(({ u, v }, i) => ({
        seed: pairSeeds[i]!,
        sign: maskSign(u, v) === 1 ? (-1 as const) : (1 as const),
      })),
    ]);
    reduceModulo(sum, this.params.modulusBits);
    const { weightedSum, weightTotal } = dequantize(sum, this.params);
    this.sum = undefined;
    this.phaseValue = 'completed';
    return {
      kind: 'completed',
      result: { weightedSum, weightTotal, included: [...included].sort((a, b) => a - b) },
    };
  }

  private abort(stage: Stage, reason: string): StageOutcome {
    this.phaseValue = 'aborted';
    this.abortReason = reason;
    // Nothing computed so far leaves the server: the masked sum is dropped.
    this.sum = undefined;
    return { kind: 'aborted', stage, reason };
  }
}

function pickKeys(k: AdvertisedKeys): AdvertisedKeys {
  return {
    encryptionKey: k.encryptionKey,
    maskingKey: k.maskingKey,
    selfMaskCommitment: k.selfMaskCommitment,
    signature: k.signature,
  };
}

/**
 * Secure-aggregation messages and their binary encoding. Every message names its round, its stage and its sender
 * (a client index, or SERVER), so replays and messages for another round or stage are recognised before anything else
 * is read. The encoding is compact and fixed-layout because its byte counts are the protocol's cost:
 *
 *   offset  size  field
 *   0       3     magic "FSA"
 *   3       1     format version (1)
 *   4       1     message type (see TYPE_CODES)
 *   5       1     stage (0 advertise keys, 1 share keys, 2 masked input, 3 unmasking)
 *   6       2     zero
 *   8       4     round (u32 LE)
 *   12      4     sender (u32 LE; 0xffffffff is the server)
 *   16      ...   body, per type (u32 LE counts and indices, raw key bytes, raw u32 LE mask values)
 *
 * Server messages carry the stage they open: the key directory opens stage 1, forwarded shares stage 2, the unmask
 * request stage 3. The transport (engine pool frames) carries these bytes opaquely.
 */
import { FlotillaError } from '../../core/index.js';
import { SHARE_BYTES } from './shamir.js';

export const SERVER = 0xffff_ffff;
export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
const HEADER_BYTES = 16;
const MAGIC = [0x46, 0x53, 0x41];
const VERSION = 1;
/** An encrypted share pair: sender u32, receiver u32, two shares, GCM tag. */
export const SHARE_PLAINTEXT_BYTES = 8 + 2 * SHARE_BYTES;
export const SHARE_CIPHERTEXT_BYTES = SHARE_PLAINTEXT_BYTES + 16;

export type Stage = 0 | 1 | 2 | 3;
export const STAGE_NAMES = ['advertise-keys', 'share-keys', 'masked-input', 'unmasking'] as const;

interface Header {
  readonly round: number;
  readonly sender: number;
}

/** A client's public keys for one round, with its commitment to its self-mask seed and its identity signature. */
export interface AdvertisedKeys {
  /** X25519 public key for encrypting shares between clients. */
  readonly encryptionKey: Uint8Array;
  /** X25519 public key for pairwise masks. */
  readonly maskingKey: Uint8Array;
  /** SHA-256 commitment to the self-mask seed, so recovered seeds can be checked. */
  readonly selfMaskCommitment: Uint8Array;
  /** Ed25519 signature under the client's identity key, or empty when the federation has no identities. */
  readonly signature: Uint8Array;
}

export interface AdvertiseKeysMessage extends Header, AdvertisedKeys {
  readonly type: 'advertise-keys';
  readonly stage: 0;
}

export interface DirectoryEntry extends AdvertisedKeys {
  readonly index: number;
}

export interface KeyDirectoryMessage extends Header {
  readonly type: 'key-directory';
  readonly stage: 1;
  /** The advertised keys of the recipient's group (itself and its neighbours that advertised). */
  readonly entries: readonly DirectoryEntry[];
}

export interface ShareKeysMessage extends Header {
  readonly type: 'share-keys';
  readonly stage: 1;
  readonly shares: readonly { readonly to: number; readonly ciphertext: Uint8Array }[];
}

export interface ForwardedSharesMessage extends Header {
  readonly type: 'forwarded-shares';
  readonly stage: 2;
  readonly shares: readonly { readonly from: number; readonly ciphertext: Uint8Array }[];
}

export interface MaskedInputMessage extends Header {
  readonly type: 'masked-input';
  readonly stage: 2;
  readonly modulusBits: number;
  readonly values: Uint32Array;
}

export interface UnmaskRequestMessage extends Header {
  readonly type: 'unmask-request';
  readonly stage: 3;
  /** Members of the recipient's group whose masked input arrived: reveal their self-mask seed shares. */
  readonly survivors: readonly number[];
  /** Members that shared keys but sent no masked input: reveal their masking key shares. */
  readonly dropped: readonly number[];
}

export interface RevealedShare {
  /** The client whose secret this is a share of. */
  readonly of: number;
  readonly share: Uint8Array;
}

export interface UnmaskSharesMessage extends Header {
  readonly type: 'unmask-shares';
  readonly stage: 3;
  readonly selfMaskShares: readonly RevealedShare[];
  readonly maskKeyShares: readonly RevealedShare[];
}

export type SecAggMessage =
  | AdvertiseKeysMessage
  | KeyDirectoryMessage
  | ShareKeysMessage
  | ForwardedSharesMessage
  | MaskedInputMessage
  | UnmaskRequestMessage
  | UnmaskSharesMessage;

const TYPE_CODES: Readonly<Record<SecAggMessage['type'], { code: number; stage: Stage }>> = {
  'advertise-keys': { code: 1, stage: 0 },
  'key-directory': { code: 2, stage: 1 },
  'share-keys': { code: 3, stage: 1 },
  'forwarded-shares': { code: 4, stage: 2 },
  'masked-input': { code: 5, stage: 2 },
  'unmask-request': { code: 6, stage: 3 },
  'unmask-shares': { code: 7, stage: 3 },
};
const TYPE_BY_CODE = new Map(Object.entries(TYPE_CODES).map(([type, { code }]) => [code, type]));

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  u8(v: number): void {
    this.view.setUint8(this.length++, v);
  }
  u32(v: number): void {
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  finish(): Uint8Array {
    return this.buf.length === this.length ? this.buf : this.buf.slice(0, this.length);
  }
}

function malformed(message: string): FlotillaError {
  return new FlotillaError('MESSAGE_INVALID', `secure-aggregation message: ${message}`);
}

class Reader {
  private offset = 0;
  private view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) {
      throw malformed(`truncated: ${what} needs ${n} bytes at offset ${this.offset} of ${this.buf.length}`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  /** A count whose entries take at least `entryBytes` each, checked against the bytes left before allocating. */
  count(entryBytes: number, what: string): number {
    const n = this.u32(`${what} count`);
    if (n * entryBytes > this.buf.length - this.offset) {
      throw malformed(`${what} count ${n} needs more bytes than the message has left`);
    }
    return n;
  }
  end(): void {
    if (this.offset !== this.buf.length) {
      throw malformed(`${this.buf.length - this.offset} bytes after the end of the body`);
    }
  }
}

function writeKeys(w: Writer, k: AdvertisedKeys): void {
  w.bytes(k.encryptionKey);
  w.bytes(k.maskingKey);
  w.bytes(k.selfMaskCommitment);
  w.u8(k.signature.length);
  w.bytes(k.signature);
}

function readKeys(r: Reader): AdvertisedKeys {
  const encryptionKey = r.bytes(KEY_BYTES, 'encryption key');
  const maskingKey = r.bytes(KEY_BYTES, 'masking key');
  const selfMaskCommitment = r.bytes(KEY_BYTES, 'self-mask commitment');
  const sigLength = r.u8('signature length');
  if (sigLength !== 0 && sigLength !== SIGNATURE_BYTES) {
    throw malformed(`signature of ${sigLength} bytes (expected 0 or ${SIGNATURE_BYTES})`);
  }
  return { encryptionKey, maskingKey, selfMaskCommitment, signature: r.bytes(sigLength, 'signature') };
}

function checkKeyLengths(k: AdvertisedKeys): void {
  if (
    k.encryptionKey.length !== KEY_BYTES ||
    k.maskingKey.length !== KEY_BYTES ||
    k.selfMaskCommitment.length !== KEY_BYTES ||
    (k.signature.length !== 0 && k.signature.length !== SIGNATURE_BYTES)
  ) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      'advertised keys must be 32 bytes and signatures 0 or 64 bytes',
    );
  }
}

const KEYS_BYTES = 3 * KEY_BYTES + 1 + SIGNATURE_BYTES;

export function encodeMessage(msg: SecAggMessage): Uint8Array {
  const { code, stage } = TYPE_CODES[msg.type];
  let bodyBytes: number;
  switch (msg.type) {
    case 'advertise-keys':
      bodyBytes = KEYS_BYTES;
      break;
    case 'key-directory':
      bodyBytes = 4 + msg.entries.length * (4 + KEYS_BYTES);
      break;
    case 'share-keys':
    case 'forwarded-shares':
      bodyBytes = 4 + msg.shares.length * (4 + SHARE_CIPHERTEXT_BYTES);
      break;
    case 'masked-input':
      bodyBytes = 8 + msg.values.byteLength;
      break;
    case 'unmask-request':
      bodyBytes = 8 + 4 * (msg.survivors.length + msg.dropped.length);
      break;
    case 'unmask-shares':
      bodyBytes = 8 + (msg.selfMaskShares.length + msg.maskKeyShares.length) * (4 + SHARE_BYTES);
      break;
  }
  const w = new Writer(HEADER_BYTES + bodyBytes);
  w.bytes(Uint8Array.from([...MAGIC, VERSION, code, stage, 0, 0]));
  w.u32(msg.round);
  w.u32(msg.sender);
  switch (msg.type) {
    case 'advertise-keys':
      checkKeyLengths(msg);
      writeKeys(w, msg);
      break;
    case 'key-directory':
      w.u32(msg.entries.length);
      for (const e of msg.entries) {
        checkKeyLengths(e);
        w.u32(e.index);
        writeKeys(w, e);
      }
      break;
    case 'share-keys':
    case 'forwarded-shares':
      w.u32(msg.shares.length);
      for (const s of msg.shares) {
        if (s.ciphertext.length !== SHARE_CIPHERTEXT_BYTES) {
          throw new FlotillaError(
            'INVALID_ARGUMENT',
            `a share ciphertext must be ${SHARE_CIPHERTEXT_BYTES} bytes`,
          );
        }
        w.u32('to' in s ? s.to : s.from);
        w.bytes(s.ciphertext);
      }
      break;
    case 'masked-input':
      w.u8(msg.modulusBits);
      w.bytes(new Uint8Array(3));
      w.u32(msg.values.length);
      w.bytes(new Uint8Array(msg.values.buffer, msg.values.byteOffset, msg.values.byteLength));
      break;
    case 'unmask-request':
      for (const list of [msg.survivors, msg.dropped]) {
        w.u32(list.length);
        for (const i of list) w.u32(i);
      }
      break;
    case 'unmask-shares':
      for (const list of [msg.selfMaskShares, msg.maskKeyShares]) {
        w.u32(list.length);
        for (const s of list) {
          if (s.share.length !== SHARE_BYTES) {
            throw new FlotillaError('INVALID_ARGUMENT', `a share must be ${SHARE_BYTES} bytes`);
          }
          w.u32(s.of);
          w.bytes(s.share);
        }
      }
      break;
  }
  return w.finish();
}

/** Decodes a message; throws MESSAGE_INVALID naming what is malformed. Semantics are checked by the state machines. */
export function decodeMessage(bytes: Uint8Array): SecAggMessage {
  if (!(bytes instanceof Uint8Array)) throw malformed('not a byte array');
  const r = new Reader(bytes);
  for (const m of MAGIC) if (r.u8('magic') !== m) throw malformed('does not start with "FSA"');
  const version = r.u8('version');
  if (version !== VERSION)
    throw malformed(`format version ${version} is not supported (expected ${VERSION})`);
  const code = r.u8('type');
  const type = TYPE_BY_CODE.get(code) as SecAggMessage['type'] | undefined;
  if (type === undefined) throw malformed(`unknown message type ${code}`);
  const stage = r.u8('stage');
  if (stage !== TYPE_CODES[type].stage) {
    throw malformed(`a ${type} message belongs to stage ${TYPE_CODES[type].stage}, not stage ${stage}`);
  }
  if (r.u8('reserved') !== 0 || r.u8('reserved') !== 0) throw malformed('reserved header bytes are not zero');
  const round = r.u32('round');
  const sender = r.u32('sender');
  const head = { round, sender };
  let msg: SecAggMessage;
  switch (type) {
    case 'advertise-keys':
      msg = { type, stage: 0, ...head, ...readKeys(r) };
      break;
    case 'key-directory': {
      const n = r.count(4 + KEYS_BYTES - SIGNATURE_BYTES, 'directory entry');
      const entries: DirectoryEntry[] = [];
      for (let i = 0; i < n; i++) entries.push({ index: r.u32('entry index'), ...readKeys(r) });
      msg = { type, stage: 1, ...head, entries };
      break;
    }
    case 'share-keys':
    case 'forwarded-shares': {
      const n = r.count(4 + SHARE_CIPHERTEXT_BYTES, 'share ciphertext');
      const shares = [];
      for (let i = 0; i < n; i++) {
        const peer = r.u32('peer index');
        shares.push({ peer, ciphertext: r.bytes(SHARE_CIPHERTEXT_BYTES, 'share ciphertext') });
      }
      msg =
        type === 'share-keys'
          ? { type, stage: 1, ...head, shares: shares.map((s) => ({ to: s.peer, ciphertext: s.ciphertext })) }
          : {
              type,
              stage: 2,
              ...head,
              shares: shares.map((s) => ({ from: s.peer, ciphertext: s.ciphertext })),
            };
      break;
    }
    case 'masked-input': {
      const modulusBits = r.u8('modulus bits');
      r.bytes(3, 'padding');
      const n = r.count(4, 'value');
      const raw = r.bytes(4 * n, 'values');
      msg = { type, stage: 2, ...head, modulusBits, values: new Uint32Array(raw.buffer, raw.byteOffset, n) };
      break;
    }
    case 'unmask-request': {
      const lists: number[][] = [];
      for (const what of ['survivor', 'dropped client']) {
        const n = r.count(4, what);
        const list: number[] = [];
        for (let i = 0; i < n; i++) list.push(r.u32(what));
        lists.push(list);
      }
      msg = { type, stage: 3, ...head, survivors: lists[0]!, dropped: lists[1]! };
      break;
    }
    case 'unmask-shares': {
      const lists: RevealedShare[][] = [];
      for (const what of ['self-mask share', 'masking-key share']) {
        const n = r.count(4 + SHARE_BYTES, what);
        const list: RevealedShare[] = [];
        for (let i = 0; i < n; i++)
          list.push({ of: r.u32(`${what} owner`), share: r.bytes(SHARE_BYTES, what) });
        lists.push(list);
      }
      msg = { type, stage: 3, ...head, selfMaskShares: lists[0]!, maskKeyShares: lists[1]! };
      break;
    }
  }
  r.end();
  return msg;
}

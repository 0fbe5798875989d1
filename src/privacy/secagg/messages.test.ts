import { describe, expect, it } from 'vitest';
import { randomBytes } from './crypto.js';
import {
  SERVER,
  SHARE_CIPHERTEXT_BYTES,
  decodeMessage,
  encodeMessage,
  type SecAggMessage,
} from './messages.js';

const keys = () => ({
  encryptionKey: randomBytes(32),
  maskingKey: randomBytes(32),
  selfMaskCommitment: randomBytes(32),
  signature: randomBytes(64),
});

const samples: SecAggMessage[] = [
  { type: 'advertise-keys', stage: 0, round: 3, sender: 4, ...keys(), signature: new Uint8Array() },
  { type: 'key-directory', stage: 1, round: 3, sender: SERVER, entries: [{ index: 4, ...keys() }] },
  {
    type: 'share-keys',
    stage: 1,
    round: 3,
    sender: 4,
    shares: [{ to: 5, ciphertext: randomBytes(SHARE_CIPHERTEXT_BYTES) }],
  },
  { type: 'forwarded-shares', stage: 2, round: 3, sender: SERVER, shares: [] },
  {
    type: 'masked-input',
    stage: 2,
    round: 3,
    sender: 4,
    modulusBits: 20,
    values: Uint32Array.of(1, 2, 0xffff_ffff),
  },
  { type: 'unmask-request', stage: 3, round: 3, sender: SERVER, survivors: [1, 4], dropped: [7] },
  {
    type: 'unmask-shares',
    stage: 3,
    round: 3,
    sender: 4,
    selfMaskShares: [{ of: 1, share: randomBytes(33) }],
    maskKeyShares: [{ of: 7, share: randomBytes(33) }],
  },
];

describe('secure-aggregation messages', () => {
  it('round-trip every message type', () => {
    for (const m of samples) expect(decodeMessage(encodeMessage(m))).toEqual(m);
  });

  it('reject malformed bytes with MESSAGE_INVALID naming the problem', () => {
    const bytes = encodeMessage(samples[5]!);
    const cases: [Uint8Array, RegExp][] = [
      [Uint8Array.of(...bytes, 0), /1 bytes after the end/],
      [bytes.subarray(0, bytes.length - 1), /needs more bytes than the message has left/],
      [Uint8Array.from(bytes, (b, i) => (i === 0 ? 0x58 : b)), /does not start with "FSA"/],
      [Uint8Array.from(bytes, (b, i) => (i === 5 ? 1 : b)), /belongs to stage 3, not stage 1/],
      [Uint8Array.from(bytes, (b, i) => (i === 4 ? 99 : b)), /unknown message type 99/],
      // A count far beyond the bytes present is refused before anything is allocated.
      [Uint8Array.from(bytes, (b, i) => (i === 19 ? 0x7f : b)), /count \d+ needs more bytes/],
    ];
    for (const [bad, reason] of cases) {
      expect(() => decodeMessage(bad)).toThrow(reason);
    }
  });
});

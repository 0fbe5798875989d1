/**
 * Derivations that client and server must compute identically: every one is bound to the session and round (the
 * "round context"), so keys, ciphertexts and signatures from one round are useless in another.
 */
import { concatBytes, hkdf, importAesGcmKey, sha256, x25519 } from './crypto.js';
import type { SecAggRoundParams } from './config.js';
import type { AdvertisedKeys } from './messages.js';

const utf8 = new TextEncoder();

function u32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}

/** Length-prefixed session and round, so ("a", 12) and ("a1", 2) differ. */
export function roundContext(params: Pick<SecAggRoundParams, 'session' | 'round'>): Uint8Array {
  const session = utf8.encode(params.session);
  return concatBytes([utf8.encode('flotilla/secagg/v1'), u32(session.length), session, u32(params.round)]);
}

export async function commitSelfMask(context: Uint8Array, seed: Uint8Array): Promise<Uint8Array> {
  return sha256(utf8.encode('self-mask commitment'), context, seed);
}

/** What a client signs under its identity key in stage 0. */
export function advertisementPayload(context: Uint8Array, index: number, keys: AdvertisedKeys): Uint8Array {
  return concatBytes([
    utf8.encode('advertise keys'),
    context,
    u32(index),
    keys.encryptionKey,
    keys.maskingKey,
    keys.selfMaskCommitment,
  ]);
}

/** The seed of the pairwise mask between two clients, from their masking keys. */
export async function pairwiseSeed(
  context: Uint8Array,
  privateKey: CryptoKey,
  peerPublic: Uint8Array,
): Promise<Uint8Array> {
  return hkdf(await x25519(privateKey, peerPublic), context, utf8.encode('pairwise mask'));
}

/** The AES-256-GCM key two clients share for share ciphertexts, from their encryption keys. */
export async function shareKey(
  context: Uint8Array,
  privateKey: CryptoKey,
  peerPublic: Uint8Array,
): Promise<CryptoKey> {
  return importAesGcmKey(
    await hkdf(await x25519(privateKey, peerPublic), context, utf8.encode('share encryption')),
  );
}

/** Binds a share ciphertext to its sender, receiver, round and stage. */
export function shareAad(context: Uint8Array, from: number, to: number): Uint8Array {
  return concatBytes([utf8.encode('share keys'), context, Uint8Array.of(1), u32(from), u32(to)]);
}

/**
 * The pair key is used exactly twice, once per direction, so the direction makes a unique nonce and no random nonce
 * has to be sent.
 */
export function shareNonce(from: number, to: number): Uint8Array {
  return concatBytes([u32(from), u32(to), u32(0)]);
}

/** Client `self` adds the pairwise mask with `peer` when its index is lower and subtracts it otherwise. */
export const maskSign = (self: number, peer: number): 1 | -1 => (self < peer ? 1 : -1);

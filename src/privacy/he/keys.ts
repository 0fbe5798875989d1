/**
 * Client key material (clients only: the server never gets any of it). All clients of a federation share one CKKS
 * secret key, distributed out of band as a key file; the server, holding only the public encryption parameters,
 * can add ciphertexts but not read them. Anyone holding the key file can decrypt every client's update, so it must
 * reach clients only.
 *
 * Encryption is symmetric, with the secret key: SEAL then serialises a ciphertext's second polynomial as the 64-byte
 * seed it was drawn from, which halves what a client uploads. node-seal's Encryptor constructor insists on a public
 * key even for symmetric use, so one is derived from the secret key in memory when keys are loaded; it is never
 * used, stored or sent.
 *
 * Key file ("FLHK", little-endian):
 *
 *   offset  size  field
 *   0       4     magic "FLHK"
 *   4       1     version (1)
 *   5       3     reserved, zero
 *   8       4     p: byte length of the encryption parameters
 *   12      p     the encryption parameters ("FLHP", see context.ts)
 *   12 + p  ...   the SEAL secret key (SecretKey.saveArray, uncompressed: about 260 KB at N = 8192). Uncompressed so
 *                 that its SEAL header's size can be checked against the file before SEAL parses it: in WASM, SEAL
 *                 aborts (rather than throws) on a truncated or corrupt stream.
 */
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import { FlotillaError } from '../../core/index.js';
import {
  createContext,
  describe,
  loadContext,
  sealHeaderMatches,
  type HeContext,
  type SealLibrary,
} from './context.js';
import type { CkksParams } from './params.js';

/** A client's loaded key material. Call delete() when done: the SEAL objects live in WASM memory. */
export interface HeKeys {
  readonly ctx: HeContext;
  readonly secretKey: SecretKey;
  readonly encryptor: Encryptor;
  readonly decryptor: Decryptor;
  readonly encoder: CKKSEncoder;
  delete(): void;
}

const MAGIC = [0x46, 0x4c, 0x48, 0x4b]; // "FLHK"
const VERSION = 1;
const HEADER = 12;

/** Generates a fresh secret key under new parameters (defaults: N = 8192, 60 + 40 + 40 + 60 bits, scale 2^40). */
export function generateKeys(seal: SealLibrary, params: Partial<CkksParams> = {}): HeKeys {
  const ctx = createContext(seal, params);
  const generator = seal.KeyGenerator(ctx.context);
  try {
    return assemble(ctx, generator.secretKey());
  } finally {
    generator.delete();
  }
}

/** The key file: parameters and secret key. Secret: for clients only. */
export function saveKeys(keys: HeKeys): Uint8Array {
  const parms = keys.ctx.encoded;
  const secret = keys.secretKey.saveArray(keys.ctx.seal.ComprModeType.none);
  const out = new Uint8Array(HEADER + parms.length + secret.length);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  new DataView(out.buffer).setUint32(8, parms.length, true);
  out.set(parms, HEADER);
  out.set(secret, HEADER + parms.length);
  return out;
}

/** Loads a key file written by saveKeys. A malformed file is CONFIG_INVALID. */
export function loadKeys(seal: SealLibrary, file: Uint8Array): HeKeys {
  const fail = (message: string): never => {
    throw new FlotillaError('CONFIG_INVALID', `HE key file: ${message}`);
  };
  if (!(file instanceof Uint8Array) || file.length < HEADER) fail('missing or too short');
  if (MAGIC.some((b, i) => file[i] !== b)) fail('wrong magic (expected "FLHK")');
  if (file[4] !== VERSION) fail(`unsupported version ${file[4]}`);
  if (file[5] !== 0 || file[6] !== 0 || file[7] !== 0) fail('reserved bytes are not zero');
  const p = new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(8, true);
  if (HEADER + p >= file.length) fail(`parameter length ${p} leaves no room for the secret key`);
  const ctx = loadContext(seal, file.subarray(HEADER, HEADER + p));
  const secret = file.slice(HEADER + p);
  if (!sealHeaderMatches(secret)) {
    ctx.delete();
    fail('the secret key is truncated or not an uncompressed SEAL object');
  }
  const secretKey = seal.SecretKey();
  try {
    secretKey.loadArray(ctx.context, secret);
  } catch (e) {
    secretKey.delete();
    ctx.delete();
    return fail(`the secret key does not load under its parameters: ${describe(e)}`);
  }
  return assemble(ctx, secretKey);
}

function assemble(ctx: HeContext, secretKey: SecretKey): HeKeys {
  const { seal, context } = ctx;
  // Only to satisfy node-seal's Encryptor constructor (see the module comment); SEAL copies it, so it is freed here.
  const derive = seal.KeyGenerator(context, secretKey);
  const publicKey = derive.createPublicKey();
  const encryptor = seal.Encryptor(context, publicKey, secretKey);
  publicKey.delete();
  derive.delete();
  const decryptor = seal.Decryptor(context, secretKey);
  const encoder = seal.CKKSEncoder(context);
  return {
    ctx,
    secretKey,
    encryptor,
    decryptor,
    encoder,
    delete() {
      encoder.delete();
      decryptor.delete();
      encryptor.delete();
      secretKey.delete();
      ctx.delete();
    },
  };
}

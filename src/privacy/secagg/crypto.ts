/**
 * The platform cryptography secure aggregation needs, through WebCrypto (`globalThis.crypto`), which Node 20 and
 * current browsers both provide: X25519 key agreement, Ed25519 signatures, HKDF-SHA256, AES-256-GCM, AES-CTR,
 * SHA-256 and a CSPRNG. One implementation serves both platforms, so privacy/ needs no `node:` import (DESIGN
 * principle 3). Everything here is a thin wrapper that fixes parameters and byte layouts; no primitive is
 * reimplemented.
 */
import { FlotillaError, bytesEqual, fromBase64 } from '../../core/index.js';

const KEY_BYTES = 32;
/** DER prefix of a PKCS#8 X25519 private key (RFC 8410): the raw 32-byte scalar follows it. */
const X25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
/** The X25519 base point (u = 9): agreeing a private key with it yields that key's public key. */
const X25519_BASE_POINT = Uint8Array.from({ length: KEY_BYTES }, (_, i) => (i === 0 ? 9 : 0));

/**
 * WebCrypto's typings want ArrayBuffer-backed views; every array here is one (none is shared memory), so the view is
 * passed as is.
 */
const buf = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new FlotillaError(
      'CRYPTO_UNAVAILABLE',
      'secure aggregation needs WebCrypto (globalThis.crypto.subtle), which this platform does not provide',
    );
  }
  return s;
}

/** Runs a WebCrypto call, turning "algorithm not supported" into CRYPTO_UNAVAILABLE naming the algorithm. */
async function platform<T>(algorithm: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof Error && error.name === 'NotSupportedError') {
      throw new FlotillaError(
        'CRYPTO_UNAVAILABLE',
        `this platform's WebCrypto does not support ${algorithm}`,
      );
    }
    throw error;
  }
}

/** `length` bytes from the platform's CSPRNG (getRandomValues caps one call at 65,536 bytes). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  }
  return out;
}

export async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', buf(concatBytes(parts))));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** An X25519 key pair whose private scalar is also kept raw, because secure aggregation Shamir-shares it. */
export interface X25519KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array;
  /** The raw 32-byte private scalar (as stored in PKCS#8). */
  readonly secret: Uint8Array;
}

export async function generateX25519(): Promise<X25519KeyPair> {
  return platform('X25519', async () => {
    const pair = (await subtle().generateKey({ name: 'X25519' }, true, ['deriveBits'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await subtle().exportKey('pkcs8', pair.privateKey));
    if (
      pkcs8.length !== X25519_PKCS8_PREFIX.length + KEY_BYTES ||
      !bytesEqual(pkcs8.subarray(0, X25519_PKCS8_PREFIX.length), X25519_PKCS8_PREFIX)
    ) {
      throw new FlotillaError(
        'CRYPTO_UNAVAILABLE',
        'the platform exported an X25519 key in an unexpected PKCS#8 form',
      );
    }
    return {
      privateKey: pair.privateKey,
      publicKey: new Uint8Array(await subtle().exportKey('raw', pair.publicKey)),
      secret: pkcs8.slice(X25519_PKCS8_PREFIX.length),
    };
  });
}

/** Imports a raw 32-byte X25519 private scalar (one reconstructed from shares). */
export async function importX25519Secret(secret: Uint8Array): Promise<CryptoKey> {
  return platform('X25519', () =>
    subtle().importKey('pkcs8', buf(concatBytes([X25519_PKCS8_PREFIX, secret])), { name: 'X25519' }, false, [
      'deriveBits',
    ]),
  );
}

/**
 * The X25519 shared secret of a private key and a peer's raw public key. An all-zero result (a low-order public key,
 * RFC 7748 section 6.1) is refused: it would make the "shared" secret known to everyone.
 */
export async function x25519(privateKey: CryptoKey, peerPublic: Uint8Array): Promise<Uint8Array> {
  return platform('X25519', async () => {
    const peer = await subtle().importKey('raw', buf(peerPublic), { name: 'X25519' }, true, []);
    const bits = new Uint8Array(
      await subtle().deriveBits({ name: 'X25519', public: peer } as EcdhKeyDeriveParams, privateKey, 256),
    );
    if (bits.every((b) => b === 0)) {
      throw new FlotillaError('SECAGG_REJECTED', 'X25519 public key is of low order (shared secret is zero)');
    }
    return bits;
  });
}

/** The public key of a raw private scalar, used to check a reconstructed masking key against its advertisement. */
export async function x25519PublicOf(privateKey: CryptoKey): Promise<Uint8Array> {
  return x25519(privateKey, X25519_BASE_POINT);
}

/** HKDF-SHA256 with the given salt and info, 32 bytes out. */
export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(
    await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, 256),
  );
}

export async function importAesGcmKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function aesGcmEncrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  return new Uint8Array(
    await subtle().encrypt(
      { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 },
      key,
      buf(plaintext),
    ),
  );
}

/** Decrypts and authenticates; returns undefined when the tag does not verify (tampered, wrong key or AAD). */
export async function aesGcmDecrypt(
  key: CryptoKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(
      await subtle().decrypt(
        { name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 },
        key,
        buf(ciphertext),
      ),
    );
  } catch {
    return undefined;
  }
}

export async function importAesCtrKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey('raw', buf(raw), 'AES-CTR', false, ['encrypt']);
}

/** AES-CTR encryption of `input` with a 16-byte initial counter block whose low 64 bits count blocks. */
export async function aesCtr(key: CryptoKey, counter: Uint8Array, input: Uint8Array): Promise<ArrayBuffer> {
  return subtle().encrypt({ name: 'AES-CTR', counter: buf(counter), length: 64 }, key, buf(input));
}

export interface Ed25519KeyPair {
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array;
}

/** A client identity key (in deployment it comes from enrolment; simulations make one per client). */
export async function generateEd25519(): Promise<Ed25519KeyPair> {
  return platform('Ed25519', async () => {
    const pair = (await subtle().generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    return {
      privateKey: pair.privateKey,
      publicKey: new Uint8Array(await subtle().exportKey('raw', pair.publicKey)),
    };
  });
}

/** A client identity key as PKCS#8 bytes, for its key file. */
export async function exportEd25519Private(privateKey: CryptoKey): Promise<Uint8Array> {
  return platform('Ed25519', async () => new Uint8Array(await subtle().exportKey('pkcs8', privateKey)));
}

/** Loads a PKCS#8 identity key and its raw public key; a key of any other kind is CONFIG_INVALID. */
export async function importEd25519Private(pkcs8: Uint8Array): Promise<Ed25519KeyPair> {
  return platform('Ed25519', async () => {
    let privateKey: CryptoKey;
    try {
      privateKey = await subtle().importKey('pkcs8', buf(pkcs8), { name: 'Ed25519' }, true, ['sign']);
    } catch (error) {
      throw new FlotillaError('CONFIG_INVALID', `not an Ed25519 private key: ${(error as Error).message}`);
    }
    // The public key is the JWK's x: WebCrypto derives no public key from a private one otherwise.
    const jwk = await subtle().exportKey('jwk', privateKey);
    return { privateKey, publicKey: fromBase64(jwk.x!) };
  });
}

export async function ed25519Sign(privateKey: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return platform(
    'Ed25519',
    async () => new Uint8Array(await subtle().sign('Ed25519', privateKey, buf(message))),
  );
}

export async function ed25519Verify(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  return platform('Ed25519', async () => {
    const key = await subtle().importKey('raw', buf(publicKey), { name: 'Ed25519' }, false, ['verify']);
    return subtle().verify('Ed25519', key, buf(signature), buf(message));
  });
}

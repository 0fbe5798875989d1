import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlotillaError, Rng } from '../../core/index.js';
import { HeAggregator } from './aggregator.js';
import { decodeBlob, encodeBlob } from './blob.js';
import { ciphertextSizes } from './ciphertext.js';
import { decryptAggregate, encryptUpdate } from './client.js';
import { loadContext, saveEncryptionParameters, type SealLibrary } from './context.js';
import { generateKeys, loadKeys, saveKeys, type HeKeys } from './keys.js';
import { resolveCkksParams, slotCount } from './params.js';
import { loadSeal } from './seal.js';

let seal: SealLibrary;
let keys: HeKeys;
let parameters: Uint8Array;

beforeAll(async () => {
  seal = await loadSeal();
  keys = generateKeys(seal);
  parameters = saveEncryptionParameters(keys.ctx);
});

afterAll(() => keys.delete());

function randomUpdate(rng: Rng, d: number): Float32Array {
  return Float32Array.from({ length: d }, () => rng.normal() * 0.3);
}

/** Float64 weighted mean of the float32 updates: the reference the decrypted aggregate is compared with. */
function plainWeightedMean(updates: readonly Float32Array[], weights: readonly number[]): Float64Array {
  const d = updates[0]!.length;
  const sum = new Float64Array(d);
  updates.forEach((u, k) => u.forEach((v, j) => (sum[j]! += v * weights[k]!)));
  const total = weights.reduce((a, b) => a + b, 0);
  return sum.map((s) => s / total);
}

/** max |a - b| / max |b|: the error relative to the largest coordinate of the reference. */
function relativeError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let scale = 0;
  b.forEach((v, j) => {
    diff = Math.max(diff, Math.abs(a[j]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return diff / scale;
}

async function aggregate(
  updates: readonly Float32Array[],
  weights: readonly number[],
): Promise<Float64Array> {
  const d = updates[0]!.length;
  const server = await HeAggregator.create({ parameters, dimension: d, seal });
  try {
    updates.forEach((u, k) => server.add(encryptUpdate(keys, u, weights[k]!)));
    expect(server.count).toBe(updates.length);
    const total = weights.reduce((a, b) => a + b, 0);
    return decryptAggregate(keys, server.result(), d).map((s) => s / total);
  } finally {
    server.delete();
  }
}

function flip(bytes: Uint8Array, i: number, mask: number): void {
  bytes[i] = bytes[i]! ^ mask;
}

function expectCode(f: () => unknown, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(FlotillaError);
  expect((caught as FlotillaError).code).toBe(code);
  if (message) expect((caught as FlotillaError).message).toMatch(message);
}

describe('CKKS aggregation', () => {
  it('10 clients, d = 10,000, different weights: the weighted mean within 1e-6 of max |mean|', async () => {
    const rng = new Rng(1);
    const d = 10_000; // 3 ciphertexts of 4,096 slots, the last one partly filled
    const updates = Array.from({ length: 10 }, () => randomUpdate(rng, d));
    const weights = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89];
    const mean = await aggregate(updates, weights);
    const reference = plainWeightedMean(updates, weights);
    // Relative to the largest |coordinate| of the plain float64 weighted mean (about 0.4 here).
    expect(relativeError(mean, reference)).toBeLessThan(1e-6);
  });

  it.each([1, 4096, 4097])('d = %i: counts its ciphertexts and sums exactly enough slots', async (d) => {
    const rng = new Rng(d);
    const updates = [randomUpdate(rng, d), randomUpdate(rng, d), randomUpdate(rng, d)];
    const weights = [0.5, 7, 2];
    const blob = encryptUpdate(keys, updates[0]!, weights[0]!);
    const layout = decodeBlob(blob, { slots: slotCount(keys.ctx.params), maxCiphertextBytes: 1e6 });
    expect(layout.d).toBe(d);
    expect(layout.ciphertexts.length).toBe(Math.ceil(d / 4096));
    // A client's ciphertexts are seeded (about half the size of a full one).
    layout.ciphertexts.forEach((c) => expect(c.length).toBe(ciphertextSizes(keys.ctx.shape).seeded));
    const mean = await aggregate(updates, weights);
    expect(mean.length).toBe(d);
    expect(relativeError(mean, plainWeightedMean(updates, weights))).toBeLessThan(1e-6);
  });

  it('a key file round-trips: another client loading it decrypts the same sum', async () => {
    const rng = new Rng(9);
    const update = randomUpdate(rng, 100);
    const file = saveKeys(keys);
    const other = loadKeys(seal, file);
    try {
      const decrypted = decryptAggregate(other, encryptUpdate(keys, update, 3), 100);
      expect(
        relativeError(
          decrypted,
          Float64Array.from(update, (v) => 3 * v),
        ),
      ).toBeLessThan(1e-6);
    } finally {
      other.delete();
    }
    expectCode(() => loadKeys(seal, file.subarray(0, file.length - 1)), 'CONFIG_INVALID', /truncated/);
    expectCode(() => loadKeys(seal, file.subarray(0, 8)), 'CONFIG_INVALID');
  });

  it('refuses bad arguments', () => {
    expectCode(() => encryptUpdate(keys, new Float32Array(0), 1), 'INVALID_ARGUMENT');
    expectCode(() => encryptUpdate(keys, new Float32Array(3), -1), 'INVALID_ARGUMENT');
    expectCode(() => encryptUpdate(keys, new Float32Array(3), Number.NaN), 'INVALID_ARGUMENT');
    expectCode(() => encryptUpdate(keys, Float32Array.of(1, Number.POSITIVE_INFINITY), 1), 'NON_FINITE');
    // Finite values whose weighted product overflows, or leaves the CKKS range, are refused before SEAL sees them.
    expectCode(() => encryptUpdate(keys, Float32Array.of(1), 1e300), 'INVALID_ARGUMENT', /CKKS range/);
    expectCode(() => encryptUpdate(keys, Float32Array.of(3e38), 1e10), 'INVALID_ARGUMENT', /CKKS range/);
    expectCode(() => decryptAggregate(keys, new Uint8Array(100), 0), 'INVALID_ARGUMENT');
  });
});

describe('CKKS parameters', () => {
  it('validates them and names the value', () => {
    expect(resolveCkksParams()).toEqual({
      polyModulusDegree: 8192,
      coeffModulusBits: [60, 40, 40, 60],
      scaleBits: 40,
    });
    expect(slotCount(resolveCkksParams())).toBe(4096);
    expectCode(() => resolveCkksParams({ polyModulusDegree: 5000 }), 'CONFIG_INVALID', /polyModulusDegree/);
    expectCode(() => resolveCkksParams({ coeffModulusBits: [60, 60, 60, 60] }), 'CONFIG_INVALID', /218/);
    expectCode(() => resolveCkksParams({ coeffModulusBits: [60] }), 'CONFIG_INVALID', /two primes/);
    expectCode(() => resolveCkksParams({ coeffModulusBits: [60, 61] }), 'CONFIG_INVALID', /\[20, 60\]/);
    expectCode(() => resolveCkksParams({ scaleBits: 61 }), 'CONFIG_INVALID', /scaleBits/);
    expectCode(
      () => resolveCkksParams({ coeffModulusBits: [40, 40], scaleBits: 35 }),
      'CONFIG_INVALID',
      /headroom/,
    );
  });

  it('refuses malformed or non-CKKS encryption parameters', () => {
    expectCode(() => loadContext(seal, parameters.subarray(0, 8)), 'CONFIG_INVALID');
    const wrongMagic = parameters.slice();
    wrongMagic[0] = 0;
    expectCode(() => loadContext(seal, wrongMagic), 'CONFIG_INVALID', /magic/);
    expectCode(() => loadContext(seal, parameters.subarray(0, parameters.length - 1)), 'CONFIG_INVALID');
    // BFV parameters in a valid envelope.
    const bfv = seal.EncryptionParameters(seal.SchemeType.bfv);
    bfv.setPolyModulusDegree(8192);
    bfv.setCoeffModulus(seal.CoeffModulus.BFVDefault(8192));
    bfv.setPlainModulus(seal.PlainModulus.Batching(8192, 20));
    const bfvBytes = bfv.saveArray(seal.ComprModeType.none);
    bfv.delete();
    const envelope = new Uint8Array(8 + bfvBytes.length);
    envelope.set(parameters.subarray(0, 8));
    envelope.set(bfvBytes, 8);
    expectCode(() => loadContext(seal, envelope), 'CONFIG_INVALID', /CKKS/);
  });
});

describe('the aggregator refuses tampered blobs and stays correct', () => {
  const d = 5000; // 2 ciphertexts
  let good: Uint8Array;

  beforeAll(() => {
    good = encryptUpdate(keys, randomUpdate(new Rng(5), d), 1);
  });

  /** Re-assembles a blob after changing its ciphertexts, with fresh CRCs: what a deliberate tamperer would send. */
  function rebuild(blob: Uint8Array, change: (cts: Uint8Array[]) => void): Uint8Array {
    const cts = decodeBlob(blob, { slots: 4096, maxCiphertextBytes: 1e6 }).ciphertexts.map((c) => c.slice());
    change(cts);
    return encodeBlob(d, cts);
  }

  function appendZero(blob: Uint8Array): Uint8Array {
    const out = new Uint8Array(blob.length + 1);
    out.set(blob);
    return out;
  }

  function withHeader(offset: number, value: number): Uint8Array {
    const out = good.slice();
    new DataView(out.buffer).setUint32(offset, value, true);
    return out;
  }

  it('every kind of tampering is a typed MESSAGE_INVALID naming what is wrong', async () => {
    const flipped = good.slice();
    flip(flipped, good.length - 1000, 0x10); // inside the second ciphertext's coefficients
    const wrongMagic = good.slice();
    wrongMagic[0] = 0x58;
    const otherKeys = generateKeys(seal, { coeffModulusBits: [60, 40, 60] });
    const otherScale = generateKeys(seal, { scaleBits: 30 });
    const cases: [string, Uint8Array, RegExp][] = [
      ['flipped byte in a ciphertext', flipped, /ciphertext 1 fails its CRC-32/],
      ['truncated to 10 bytes', good.subarray(0, 10), /shorter than the 16-byte header/],
      ['truncated in the length table', good.subarray(0, 20), /truncated in the length table/],
      ['truncated by one byte', good.subarray(0, good.length - 1), /truncated: ciphertext 1/],
      ['trailing bytes', appendZero(good), /trailing/],
      ['wrong magic', wrongMagic, /magic/],
      ['wrong d (same count)', withHeader(8, d - 1), /d is 4999, expected 5000/],
      ['wrong count', withHeader(12, 3), /count is 3/],
      ['zero length', withHeader(16, 0), /length 0/],
      [
        'from different parameters (fewer primes)',
        encryptUpdate(otherKeys, new Float32Array(d), 1),
        /bytes; a ciphertext/,
      ],
      ['from a different scale', encryptUpdate(otherScale, new Float32Array(d), 1), /scale/],
      [
        'coefficient above its prime, CRC recomputed',
        rebuild(good, (cts) => cts[0]!.fill(0xff, 200, 208)),
        /ciphertext 0 is not valid for the parameters/,
      ],
      [
        'N field changed, CRC recomputed',
        rebuild(good, (cts) => flip(cts[1]!, 58, 0x01)),
        /ciphertext 1: N is/,
      ],
      [
        'declared size changed, CRC recomputed',
        rebuild(good, (cts) => flip(cts[0]!, 8, 0x01)),
        /ciphertext 0: ciphertext header: declares/,
      ],
      ['compression flag set, CRC recomputed', rebuild(good, (cts) => (cts[0]![5] = 2)), /compressed/],
      [
        'parms_id of another context, CRC recomputed',
        rebuild(good, (cts) =>
          cts[0]!.set(
            Uint8Array.from({ length: 32 }, (_, i) => i),
            16,
          ),
        ),
        /parms_id/,
      ],
    ];
    otherKeys.delete();
    otherScale.delete();

    const server = await HeAggregator.create({ parameters, dimension: d, seal });
    try {
      const values = [randomUpdate(new Rng(6), d), randomUpdate(new Rng(7), d)];
      server.add(encryptUpdate(keys, values[0]!, 2));
      for (const [what, blob, message] of cases) {
        let caught: unknown;
        try {
          server.add(blob);
        } catch (e) {
          caught = e;
        }
        expect(caught, what).toBeInstanceOf(FlotillaError);
        expect((caught as FlotillaError).code, what).toBe('MESSAGE_INVALID');
        expect((caught as FlotillaError).message, what).toMatch(message);
        expect(server.count, what).toBe(1);
      }
      server.add(encryptUpdate(keys, values[1]!, 3));
      expect(server.count).toBe(2);
      const mean = decryptAggregate(keys, server.result(), d).map((s) => s / 5);
      expect(relativeError(mean, plainWeightedMean(values, [2, 3]))).toBeLessThan(1e-6);
      // The client checks the sum blob the same way.
      expectCode(() => decryptAggregate(keys, flipped, d), 'MESSAGE_INVALID', /CRC/);
      expectCode(() => decryptAggregate(keys, good, d + 1), 'MESSAGE_INVALID', /d is 5000/);
    } finally {
      server.delete();
    }
  });
});

describe('the server never touches secret-key machinery', () => {
  it('aggregates with a SEAL instance that throws on SecretKey, Decryptor, KeyGenerator and Encryptor', async () => {
    const forbidden = new Set<PropertyKey>(['SecretKey', 'Decryptor', 'KeyGenerator', 'Encryptor']);
    const touched = new Set<PropertyKey>();
    const guarded = new Proxy(seal, {
      get(target, property, receiver) {
        touched.add(property);
        if (forbidden.has(property)) throw new Error(`the server touched seal.${String(property)}`);
        return Reflect.get(target, property, receiver) as unknown;
      },
    });

    // The parameters are small and public: no key is in them (a secret key alone is about 260 KB).
    expect(parameters.length).toBeLessThan(512);
    const ctx = loadContext(guarded, parameters);
    expect(Object.keys(ctx).sort()).toEqual([
      'context',
      'delete',
      'encoded',
      'params',
      'scale',
      'seal',
      'shape',
      'slots',
    ]);
    expect(ctx.params).toEqual(keys.ctx.params);
    ctx.delete();

    const rng = new Rng(11);
    const d = 6000;
    const updates = [randomUpdate(rng, d), randomUpdate(rng, d), randomUpdate(rng, d)];
    const weights = [4, 1, 2];
    const server = await HeAggregator.create({ parameters, dimension: d, seal: guarded });
    updates.forEach((u, k) => server.add(encryptUpdate(keys, u, weights[k]!)));
    const sum = server.result();
    server.reset();
    server.add(encryptUpdate(keys, updates[0]!, 1)); // a second round reuses the context
    expect(server.count).toBe(1);
    server.delete();

    expect([...touched].filter((p) => forbidden.has(p))).toEqual([]);
    expect(touched.has('Evaluator') && touched.has('CipherText')).toBe(true); // it did run through the Proxy
    const mean = decryptAggregate(keys, sum, d).map((s) => s / 7);
    expect(relativeError(mean, plainWeightedMean(updates, weights))).toBeLessThan(1e-6);
  });
});

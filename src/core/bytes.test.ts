import { describe, expect, it } from 'vitest';
import { bytesEqual, fromBase64, fromHex, toBase64, toHex } from './bytes.js';

describe('bytes as text', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 37) & 0xff);

  it('round-trips hex and base64 for every byte value', () => {
    expect(fromHex(toHex(bytes))).toEqual(bytes);
    expect(toHex(Uint8Array.of(0, 15, 16, 255))).toBe('000f10ff');
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(toBase64(Uint8Array.of(251, 255))).toBe('+/8=');
  });

  it('reads base64url without padding, as JWK fields are written', () => {
    expect(fromBase64('-_8')).toEqual(Uint8Array.of(251, 255));
  });

  it('compares bytes', () => {
    expect(bytesEqual(bytes, bytes.slice())).toBe(true);
    expect(bytesEqual(bytes, bytes.subarray(1))).toBe(false);
    const other = bytes.slice();
    other[200] = other[200]! ^ 1;
    expect(bytesEqual(bytes, other)).toBe(false);
  });
});

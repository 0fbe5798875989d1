import { describe, expect, it } from 'vitest';
import { HOST_LITTLE_ENDIAN, readFloat32LE, writeFloat32LE } from './floats.js';

// IEEE 754 binary32 encodings, little-endian byte order: 1.0 = 0x3f800000, -2.0 = 0xc0000000, 0.5 = 0x3f000000.
const values = new Float32Array([1, -2, 0.5]);
const bytesLE = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x3f];

describe('float32 payload byte order', () => {
  it('this test host is little-endian (the fast path is what the other tests exercise)', () => {
    expect(HOST_LITTLE_ENDIAN).toBe(true);
  });

  for (const hostLittleEndian of [true, false]) {
    const path = hostLittleEndian ? 'copy path' : 'DataView path (big-endian hosts)';

    it(`writes little-endian bytes at an offset (${path})`, () => {
      const out = new Uint8Array(13);
      writeFloat32LE(out, 1, values, hostLittleEndian);
      expect([...out]).toEqual([0, ...bytesLE]);
    });

    it(`reads from an unaligned offset into a fresh array (${path})`, () => {
      const backing = new Uint8Array([9, 9, 9, ...bytesLE, 9]);
      const source = backing.subarray(1); // byteOffset 1: not a multiple of 4
      const read = readFloat32LE(source, 2, 3, hostLittleEndian);
      expect([...read]).toEqual([1, -2, 0.5]);
      backing.fill(0);
      expect([...read]).toEqual([1, -2, 0.5]);
    });
  }
});

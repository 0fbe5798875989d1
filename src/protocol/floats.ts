/**
 * Float32 payloads travel little-endian. On a little-endian host (every mainstream CPU) both directions are one byte
 * copy; a big-endian host goes element by element through a DataView, which converts explicitly. The host order is
 * a parameter so the DataView path can be tested on any machine.
 */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Writes `values` into `out` at `byteOffset` as little-endian float32. */
export function writeFloat32LE(
  out: Uint8Array,
  byteOffset: number,
  values: Float32Array,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): void {
  if (hostLittleEndian) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), byteOffset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + byteOffset, values.byteLength);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
}

/**
 * Reads `count` little-endian float32 values starting at `byteOffset` into a new array. The result never aliases
 * `bytes` (callers may reuse their receive buffer) and works whatever the alignment of `bytes.byteOffset`.
 */
export function readFloat32LE(
  bytes: Uint8Array,
  byteOffset: number,
  count: number,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): Float32Array {
  const out = new Float32Array(count);
  if (hostLittleEndian) {
    new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + count * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/**
 * Encodings for assembling small WebAssembly modules by hand (there is no wat compiler in the build): LEB128
 * integers, sections and names (WebAssembly core spec 5.1-5.5), and the few instructions the SIMD kernels use
 * (local get/set/tee, i32.const, and the 0xfd-prefixed SIMD opcodes). Lengths are computed, never hand-counted.
 */

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

/** Signed LEB128 (i32.const immediates). */
export function signedLeb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
export const wasmName = (text: string): number[] => [
  ...leb(text.length),
  ...Array.from(text, (c) => c.charCodeAt(0)),
];
export const localGet = (i: number): number[] => [0x20, i];
export const localSet = (i: number): number[] => [0x21, i];
export const localTee = (i: number): number[] => [0x22, i];
export const i32Const = (v: number): number[] => [0x41, ...signedLeb(v)];
export const simdOp = (op: number, ...immediates: number[]): number[] => [0xfd, ...leb(op), ...immediates];

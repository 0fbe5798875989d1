/**
 * How a ParameterSet is stored: its layout as JSON text (`[[name, [dims...]], ...]`) next to its values as one
 * blob of raw float32. Keeping the layout readable lets an operator inspect a checkpoint with any SQLite tool, and
 * the blob is the Float32Array's own bytes, so writing a 200k-parameter model costs one copy.
 *
 * Blobs are little-endian. Every platform Flotilla's server runs on is; rather than carry an untested byte-swapping
 * path, storage refuses to run on a big-endian host.
 */
import { FlotillaError, ParameterLayout, ParameterSet } from '../core/index.js';
import { decodeJson } from './json.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!HOST_LITTLE_ENDIAN) {
    throw new FlotillaError(
      'STORAGE_FAILED',
      'storage writes little-endian float32 and needs a little-endian host',
    );
  }
}

export function layoutToJson(layout: ParameterLayout): string {
  return JSON.stringify(layout.specs.map((s) => [s.name, s.shape]));
}

export function layoutFromJson(text: string): ParameterLayout {
  const value = decodeJson(text, 'parameter layout');
  const ok =
    Array.isArray(value) &&
    value.every(
      (t) =>
        Array.isArray(t) &&
        t.length === 2 &&
        typeof t[0] === 'string' &&
        Array.isArray(t[1]) &&
        (t[1] as unknown[]).every((d) => typeof d === 'number'),
    );
  if (!ok)
    throw new FlotillaError('STORAGE_CORRUPT', 'stored parameter layout is not a list of [name, shape]');
  try {
    return new ParameterLayout((value as [string, number[]][]).map(([name, shape]) => ({ name, shape })));
  } catch (error) {
    throw new FlotillaError(
      'STORAGE_CORRUPT',
      `stored parameter layout is invalid: ${(error as Error).message}`,
    );
  }
}

/** A view of the set's bytes (no copy): the caller must write it before the set changes. */
export function valuesToBlob(params: ParameterSet): Uint8Array {
  assertLittleEndian();
  return new Uint8Array(params.data.buffer, params.data.byteOffset, params.data.byteLength);
}

/** Copies the blob into a new, aligned Float32Array; the size must match the layout exactly. */
export function parametersFromBlob(layout: ParameterLayout, blob: Uint8Array, what: string): ParameterSet {
  assertLittleEndian();
  if (blob.byteLength !== layout.totalSize * 4) {
    throw new FlotillaError(
      'STORAGE_CORRUPT',
      `stored ${what} has ${blob.byteLength} bytes but its layout needs ${layout.totalSize * 4}`,
    );
  }
  const data = new Float32Array(layout.totalSize);
  new Uint8Array(data.buffer).set(blob);
  return new ParameterSet(layout, data);
}

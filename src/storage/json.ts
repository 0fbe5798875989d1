/**
 * JSON for stored records and states. Plain JSON turns NaN and +-Infinity into null, but round records legitimately
 * hold them (the loss of an evaluation nobody answered is NaN), so they are written as a tagged object and restored
 * on read. Values JSON cannot hold (BigInt, cycles) are refused with a typed error instead of a TypeError.
 */
import { FlotillaError } from '../core/index.js';

const TAG = '$nonFinite';

export function encodeJson(value: unknown, what: string): string {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v,
    );
    // JSON.stringify returns undefined for undefined, functions and symbols at the top level.
    return text ?? 'null';
  } catch (error) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${what} is not JSON-serializable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export function decodeJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text, (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === TAG) return Number((v as Record<string, unknown>)[TAG]);
      }
      return v;
    }) as unknown;
  } catch (error) {
    throw new FlotillaError(
      'STORAGE_CORRUPT',
      `stored ${what} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

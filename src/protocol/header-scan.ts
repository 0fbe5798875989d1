/**
 * A cheap look at a JSON header's bytes before JSON.parse: how deeply it nests. Parsing a deeply nested header (a
 * megabyte of "[[[[...") costs hundreds of milliseconds before it fails, and a schema walks what parsing built; one
 * pass over the bytes that counts brackets outside strings rejects it in about a millisecond instead.
 */
import { FlotillaError } from '../core/index.js';

/** Nesting a real header never comes near (fields > config > ... is under 8 levels). */
export const DEFAULT_MAX_HEADER_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Throws CODEC_OVERSIZED when the JSON text in `bytes` opens more than `maxDepth` arrays or objects at once. */
export function checkHeaderDepth(bytes: Uint8Array, maxDepth: number, what = 'frame header'): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH)
        i++; // the escaped byte cannot end the string
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      if (++depth > maxDepth) {
        throw new FlotillaError(
          'CODEC_OVERSIZED',
          `${what} nests deeper than the limit of ${maxDepth} levels (at byte ${i})`,
        );
      }
    } else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) {
      depth--;
    }
  }
}

/**
 * Where JSON.parse failed (" at character N", or nothing), without its text: V8 quotes a snippet of the input in its
 * messages, and a header can hold a credential (a hello's token) that must never reach a log.
 */
export function jsonFailure(error: unknown): string {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return position === undefined ? '' : ` at character ${position}`;
}

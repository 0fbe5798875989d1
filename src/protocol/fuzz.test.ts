/**
 * Fuzzing the decoders: whatever bytes arrive, they must either decode or throw a FlotillaError with a codec or
 * validation code, never a TypeError, RangeError or an out-of-memory crash. Seeded so failures reproduce. The corpus
 * lives in fuzz-corpus.ts so the codec benchmark can time the same refusals.
 */
import { describe, expect, it } from 'vitest';
import { FlotillaError, Rng } from '../core/index.js';
import { decodeMessage, decodeParameters } from './codec.js';
import {
  FUZZ_LIMITS,
  byteFlips,
  deepHeaders,
  extremeLengths,
  frameWithHeader,
  garbage,
  seedFrames,
  truncations,
  type FuzzCase,
} from './fuzz-corpus.js';
import { DEFAULT_DECODE_LIMITS } from './messages.js';
import { peekFields } from './peek.js';

const EXPECTED_CODES = new Set([
  'CODEC_TRUNCATED',
  'CODEC_CORRUPT',
  'CODEC_OVERSIZED',
  'CODEC_VERSION',
  'MESSAGE_INVALID',
  'NON_FINITE',
]);

const seeds = seedFrames();

/** Decodes with both decoders; returns the errors they threw (all of them expected ones). */
function decodeBoth({ bytes, limits }: FuzzCase): FlotillaError[] {
  const errors: FlotillaError[] = [];
  for (const decode of [decodeMessage, decodeParameters]) {
    try {
      decode(bytes, limits);
    } catch (error) {
      if (!(error instanceof FlotillaError) || !EXPECTED_CODES.has(error.code)) {
        const hex = Array.from(bytes.subarray(0, 512), (b) => b.toString(16).padStart(2, '0')).join('');
        throw new Error(`decoder threw ${String(error)} on input ${hex}`);
      }
      errors.push(error);
    }
  }
  return errors;
}

describe('decoder fuzzing', () => {
  const rng = new Rng(20240611);

  it('survives every truncation of every seed frame', () => {
    for (const c of truncations(seeds)) decodeBoth(c);
  });

  it('survives random byte flips', () => {
    for (const c of byteFlips(seeds, rng, 3000)) decodeBoth(c);
  });

  it('survives random garbage, with and without a valid preamble', () => {
    for (const c of garbage(rng, 2000)) decodeBoth(c);
  });

  it('survives huge or inconsistent declared lengths', () => {
    for (const c of extremeLengths(seeds, rng)) decodeBoth(c);
  });

  it('refuses deeply nested headers by the pre-parse depth check, before JSON.parse', () => {
    for (const c of deepHeaders()) {
      // decodeParameters refuses a fit-result frame by its kind code, before the header; decodeMessage reads it.
      const [error] = decodeBoth(c);
      expect(error?.code).toBe('CODEC_OVERSIZED');
      expect(error?.message).toMatch(/^frame header nests deeper than the limit of 32 levels/);
    }
    // The lenient reader used on hellos applies the same check.
    expect(peekFields(deepHeaders()[2]!.bytes, 1 << 21)).toBeUndefined();
  });

  it('counts only brackets outside strings, so 32 levels and bracket-filled strings still decode', () => {
    const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const header = (n: number) =>
      `{"fields":{"round":1,"taskId":"[[[{{{","code":"X","message":"${nested(40)}"},"sets":[],"x":${nested(n)}}`;
    // The unknown key "x" reaches the schema (MESSAGE_INVALID) only when the depth check let the header through.
    expect(() => decodeMessage(frameWithHeader(header(31)), DEFAULT_DECODE_LIMITS)).toThrow(
      /header\.x: unknown/,
    );
    expect(() => decodeMessage(frameWithHeader(header(32)), DEFAULT_DECODE_LIMITS)).toThrow(
      /nests deeper than the limit of 32 levels/,
    );
  });

  it('never quotes header text when JSON.parse fails (a hello can hold a token)', () => {
    const secret = 'tok-SECRET-0123456789abcdef';
    const [error] = decodeBoth({
      // Unquoted: V8's JSON.parse quotes the text around an unexpected token in its message.
      bytes: frameWithHeader(`{"fields":{"token":${secret}}}`),
      limits: FUZZ_LIMITS,
    });
    expect(error?.code).toBe('CODEC_CORRUPT');
    expect(error?.message).toMatch(/^frame header is not valid UTF-8 JSON( at character \d+)?$/);
  });

  it('still decodes the unmodified seeds (the fuzzer is not just hitting a broken decoder)', () => {
    expect(decodeParameters(seeds[0]!, FUZZ_LIMITS).size).toBe(8);
    expect(seeds.slice(1).map((f) => decodeMessage(f, FUZZ_LIMITS).type)).toEqual([
      'fit-task',
      'fit-result',
      'evaluate-result',
      'task-failed',
    ]);
  });
});

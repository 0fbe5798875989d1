/**
 * The `homomorphicAggregation` keys of a run config (simulate and server): a mapping in a config file (any key present
 * turns it on), `--homomorphic-aggregation` and `--homomorphic-aggregation.KEY` on the command line. The CKKS
 * parameters must be those of the clients' key file (`flotilla he keygen` writes it with the same keys).
 */
import { FlotillaError } from '../core/index.js';
import type { HomomorphicConfig } from '../engine/index.js';
import { groupEnabled, type OptionSpec, type OptionValues } from './options.js';

export const HOMOMORPHIC_KEY = 'homomorphicAggregation';

/** The CKKS parameter keys, shared with `flotilla he keygen` (there without the group prefix). */
export const CKKS_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'polyModulusDegree',
    type: 'integer',
    min: 1024,
    max: 32768,
    description: 'CKKS ring degree N (a power of two); a ciphertext holds N / 2 values; default 8192',
  },
  {
    key: 'coeffModulusBits',
    type: 'string',
    description:
      'bit sizes of the CKKS coefficient modulus primes, comma-separated, within the 128-bit security bound for N; default 60,40,40,60',
  },
  {
    key: 'scaleBits',
    type: 'integer',
    min: 10,
    max: 60,
    description: 'CKKS encoding scale 2^bits (precision of the encrypted values); default 40',
  },
];

export const HOMOMORPHIC_OPTIONS: readonly OptionSpec[] = [
  {
    key: HOMOMORPHIC_KEY,
    type: 'boolean',
    default: false,
    description:
      'CKKS homomorphic aggregation: clients encrypt their updates under a key they share (`flotilla he keygen`), the server adds ciphertexts without any key and a client decrypts the sum. In a config file a mapping of the keys below (any key present turns it on)',
  },
  ...CKKS_OPTIONS.map((spec) => ({ ...spec, key: `${HOMOMORPHIC_KEY}.${spec.key}` })),
  {
    key: `${HOMOMORPHIC_KEY}.stageTimeout`,
    type: 'number',
    above: 0,
    description:
      'seconds a client asked to decrypt the sum has to answer before the next is asked; default 30',
  },
];

/** Parses "60,40,40,60"; the CKKS rules themselves are checked by resolveCkksParams. */
export function parseModulusBits(text: string, key: string): number[] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n))) {
    throw new FlotillaError('CONFIG_INVALID', `"${key}" must be comma-separated integers, got "${text}"`, {
      key,
    });
  }
  return parts;
}

/** The CKKS parameters set among `v[prefix + key]`. */
export function ckksParamsFrom(v: OptionValues, prefix = ''): HomomorphicConfig {
  const degree = v[`${prefix}polyModulusDegree`] as number | undefined;
  const bits = v[`${prefix}coeffModulusBits`] as string | undefined;
  const scale = v[`${prefix}scaleBits`] as number | undefined;
  return {
    ...(degree !== undefined ? { polyModulusDegree: degree } : {}),
    ...(bits !== undefined ? { coeffModulusBits: parseModulusBits(bits, `${prefix}coeffModulusBits`) } : {}),
    ...(scale !== undefined ? { scaleBits: scale } : {}),
  };
}

/** The engine's homomorphic-aggregation config, or undefined when it is off. */
export function resolveHomomorphicOptions(v: OptionValues): HomomorphicConfig | undefined {
  if (!groupEnabled(v, HOMOMORPHIC_KEY)) return undefined;
  const timeout = v[`${HOMOMORPHIC_KEY}.stageTimeout`] as number | undefined;
  return {
    ...ckksParamsFrom(v, `${HOMOMORPHIC_KEY}.`),
    ...(timeout !== undefined ? { stageTimeoutMs: timeout * 1000 } : {}),
  };
}

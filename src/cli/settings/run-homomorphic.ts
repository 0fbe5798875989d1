/**
 * The `homomorphicAggregation` group: a mapping in a config file (any key present turns it on),
 * `--homomorphic-aggregation` and `--homomorphic-aggregation.KEY` on the command line. The CKKS parameters must be
 * those of the clients' key file (`flotilla he keygen` takes the same keys, without the group prefix).
 */
import { z } from 'zod';
import { group } from './define.js';

export const CKKS_SETTINGS = {
  polyModulusDegree: z.int().min(1024).max(32768).optional().meta({
    description: 'CKKS ring degree N (a power of two); a ciphertext holds N / 2 values; default 8192',
  }),
  coeffModulusBits: z.string().optional().meta({
    description:
      'bit sizes of the CKKS coefficient modulus primes, comma-separated, within the 128-bit security bound for N; default 60,40,40,60',
  }),
  scaleBits: z.int().min(10).max(60).optional().meta({
    description: 'CKKS encoding scale 2^bits (precision of the encrypted values); default 40',
  }),
};

export const HOMOMORPHIC_SETTINGS = {
  homomorphicAggregation: group(
    {
      ...CKKS_SETTINGS,
      stageTimeout: z.number().gt(0).optional().meta({
        description:
          'time a client asked to decrypt the sum has to answer before the next is asked; default 30',
        unit: 'seconds',
      }),
    },
    {
      description:
        'CKKS homomorphic aggregation: clients encrypt their updates under a key they share (`flotilla he keygen`), the server adds ciphertexts without any key and a client decrypts the sum. In a config file a mapping of the keys below (any key present turns it on)',
    },
  ),
};

/**
 * `flotilla he keygen --out FILE`: creates the CKKS secret key a federation's clients share for homomorphic
 * aggregation. Run it on one client's side and hand the file to the other clients over their own channel; the server
 * never needs it (it adds ciphertexts with the public parameters only, which it derives from its own config: use the
 * same CKKS keys there).
 */
import { writeFile } from 'node:fs/promises';
import { resolveHomomorphic } from '../../engine/index.js';
import { he } from '../../privacy/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { ckksParamsFrom } from '../homomorphic-options.js';
import { commandSettings, text } from '../settings/index.js';
import { CKKS_SETTINGS } from '../settings/run-settings.js';

export const HE_KEYGEN_SCHEMA = z.strictObject({
  out: text()
    .optional()
    .meta({ description: 'the key file to write (secret: clients only; created with mode 0600)' }),
  ...CKKS_SETTINGS,
  force: z.boolean().default(false).meta({ description: 'overwrite an existing file' }),
});
const HE_KEYGEN_COMMAND = commandSettings(HE_KEYGEN_SCHEMA);

export const heCommand: Command = {
  name: 'he',
  summary: 'homomorphic encryption: create the CKKS key file the clients share',
  help: () =>
    [
      'Usage: flotilla he keygen --out FILE [--poly-modulus-degree N] [--coeff-modulus-bits LIST] [--scale-bits B]',
      '',
      'Writes a fresh CKKS secret key and its parameters. Give the file to every client (flotilla client --he-keys FILE)',
      'and never to the server, whose config must name the same CKKS parameters under homomorphicAggregation.',
      '',
      'keygen options:',
      HE_KEYGEN_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'keygen') throw usageError('he needs a subcommand: keygen');
    const { line, settings: v } = HE_KEYGEN_COMMAND.read(rest);
    if (line.positionals.length > 0) throw usageError(`unexpected argument "${line.positionals[0]}"`);
    const out = v.out;
    if (out === undefined) throw usageError('he keygen needs --out FILE');
    const { params } = resolveHomomorphic(ckksParamsFrom(v));
    const keys = he.generateKeys(await he.loadSeal(), params);
    try {
      const file = he.saveKeys(keys);
      // 'wx' refuses to replace an existing key: clients holding it could no longer decrypt.
      await writeFile(out, file, { mode: 0o600, flag: v.force ? 'w' : 'wx' }).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        throw usageError(
          `${out} exists; pass --force to replace it (clients holding that key could no longer decrypt)`,
        );
      });
      process.stdout.write(
        `wrote ${out} (${file.length} bytes): CKKS N = ${params.polyModulusDegree}, ` +
          `coefficient modulus ${params.coeffModulusBits.join(',')} bits, scale 2^${params.scaleBits}\n`,
      );
    } finally {
      keys.delete();
    }
    return 0;
  },
};

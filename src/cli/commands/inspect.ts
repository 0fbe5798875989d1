/**
 * `flotilla inspect FILE`: decodes a Flotilla frame file (saved parameters, a cached global model, a captured
 * protocol message) with full validation and prints what it holds. A truncated or corrupt file gets a one-line
 * error naming the problem.
 */
import { readFileSync } from 'node:fs';
import { FlotillaError, l2Norm, type ParameterSet } from '../../core/index.js';
import { PARAMETERS_CODE, decodeMessage, decodeParameters } from '../../protocol/index.js';
import { usageError, type Command } from '../command.js';
import { formatTable } from '../table.js';

function describeParameters(params: ParameterSet): string {
  const rows = params.layout.specs.map((s) => [s.name, `[${s.shape.join(', ')}]`, String(s.size)]);
  return `${formatTable(['tensor', 'shape', 'values'], rows)}\n${params.size} parameters, L2 norm ${l2Norm(params).toPrecision(6)}`;
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'decode and describe a frame file (saved model parameters or a protocol message)',
  help: () =>
    'Usage: flotilla inspect FILE\n\nValidates the frame in FILE and prints its type, fields and tensors.',
  async run(args) {
    if (args.length !== 1) throw usageError('usage: flotilla inspect FILE');
    const path = args[0]!;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      throw new FlotillaError('DATA_NOT_FOUND', `cannot read ${path}: ${(error as Error).message}`);
    }
    const prefix = (e: unknown) => {
      if (e instanceof FlotillaError)
        throw new FlotillaError(e.code, `${path}: ${e.message}`, { ...e.details });
      throw e;
    };
    // Byte 6 of the preamble is the kind code: parameters frames and messages decode differently.
    if (bytes.length > 6 && bytes[6] === PARAMETERS_CODE) {
      const params = (() => {
        try {
          return decodeParameters(bytes);
        } catch (e) {
          return prefix(e);
        }
      })();
      process.stdout.write(
        `${path}: parameter frame, ${bytes.length} bytes\n${describeParameters(params)}\n`,
      );
      return 0;
    }
    const message = (() => {
      try {
        return decodeMessage(bytes);
      } catch (e) {
        return prefix(e);
      }
    })();
    const { type, ...fields } = message as unknown as Record<string, unknown> & { type: string };
    const sets = Object.entries(fields).filter(
      ([, v]) => v && typeof v === 'object' && 'layout' in (v as object),
    );
    const scalars = Object.fromEntries(Object.entries(fields).filter(([k]) => !sets.some(([s]) => s === k)));
    process.stdout.write(
      `${path}: ${type} message, ${bytes.length} bytes\n${JSON.stringify(scalars, null, 2)}\n`,
    );
    for (const [role, set] of sets)
      process.stdout.write(`\n${role}:\n${describeParameters(set as ParameterSet)}\n`);
    return 0;
  },
};

/** `flotilla config schema`: prints the published JSON Schema of a simulation config file. */
import type { Command } from '../command.js';
import { jsonSchema, usageError } from '../options.js';
import { SIMULATE_OPTIONS } from '../simulate-options.js';

export const configCommand: Command = {
  name: 'config',
  summary: 'print the JSON Schema of config files (flotilla config schema)',
  help: () =>
    'Usage: flotilla config schema\n\nPrints the JSON Schema (draft 2020-12) that simulation config files follow.',
  async run(args) {
    if (args[0] !== 'schema' || args.length > 1) throw usageError('usage: flotilla config schema');
    process.stdout.write(
      `${JSON.stringify(jsonSchema(SIMULATE_OPTIONS, 'Flotilla simulation config'), null, 2)}\n`,
    );
    return 0;
  },
};

/** Reading the run settings of `simulate`, `train-central` and `federation`: at most one config file, then flags. */
import type { z } from 'zod';
import { usageError } from '../command.js';
import type { CommandSettings } from './command.js';
import { readConfigFile } from './read.js';

export function readRunCommand<S extends z.ZodObject>(
  settings: CommandSettings<S>,
  args: readonly string[],
  command: string,
) {
  return settings.read(args, {
    file: (line) => {
      if (line.positionals.length > 1) {
        throw usageError(`${command} takes at most one config file, got ${line.positionals.join(' ')}`);
      }
      return line.positionals[0] === undefined ? undefined : readConfigFile(line.positionals[0]);
    },
  });
}

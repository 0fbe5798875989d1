/**
 * A command's settings in one object: its zod schema, its fields, its help, and reading them from the command line
 * and an optional config file (flags override the file, the file overrides defaults).
 */
import type { z } from 'zod';
import { parseCommandLine, type CommandLine } from './command-line.js';
import { fieldsOf, type Field } from './fields.js';
import { formatHelp } from './present.js';
import { readSettings, type Layer } from './read.js';

export interface ReadOptions {
  /** Extra string flags that are not settings (e.g. `config`), returned in `line.extras`. */
  readonly extras?: readonly string[];
  /** The config file layer, if the command line names one. */
  readonly file?: (line: CommandLine) => Layer | undefined;
}

export interface CommandSettings<S extends z.ZodObject> {
  readonly schema: S;
  readonly fields: readonly Field[];
  help(): string;
  read(
    args: readonly string[],
    options?: ReadOptions,
  ): { readonly line: CommandLine; readonly settings: z.output<S>; readonly given: ReadonlySet<string> };
}

function flagLayer(line: CommandLine): Layer {
  return {
    values: line.values,
    source: (key) => `option ${line.flags.get(key) ?? line.flags.get(key.split('.')[0]!) ?? key}`,
  };
}

export function commandSettings<S extends z.ZodObject>(schema: S): CommandSettings<S> {
  return {
    schema,
    get fields() {
      return fieldsOf(schema);
    },
    help: () => formatHelp(fieldsOf(schema)),
    read(args, options = {}) {
      const line = parseCommandLine(fieldsOf(schema), args, options.extras);
      const file = options.file?.(line);
      const { settings, given } = readSettings(schema, [...(file ? [file] : []), flagLayer(line)]);
      return { line, settings, given };
    },
  };
}
